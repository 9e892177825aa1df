//===- Npy.cpp - NumPy .npy files for trit-run ------------------*- C++ -*-===//

#include "Npy.h"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

using namespace trit;

namespace {

/// The value of `key` in the header dictionary, up to its delimiter.
bool headerField(const std::string &header, const std::string &key,
                 std::string &value) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos)
    return false;
  at = header.find(':', at);
  if (at == std::string::npos)
    return false;
  ++at;
  while (at < header.size() && header[at] == ' ')
    ++at;
  if (at >= header.size())
    return false;
  char open = header[at];
  size_t end;
  if (open == '(') {
    end = header.find(')', at);
    if (end == std::string::npos)
      return false;
    value = header.substr(at + 1, end - at - 1);
  } else if (open == '\'') {
    end = header.find('\'', at + 1);
    if (end == std::string::npos)
      return false;
    value = header.substr(at + 1, end - at - 1);
  } else {
    end = header.find_first_of(",}", at);
    value = header.substr(at, end - at);
  }
  return true;
}

} // namespace

bool npy::readInt64(const std::string &path, std::vector<int64_t> &shape,
                    std::vector<int64_t> &data, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "'";
    return false;
  }
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    error = "'" + path + "' is not a .npy file";
    return false;
  }
  // Versions 2 and 3 differ from 1 only in a 4-byte header length (3's
  // header is UTF-8, which the ASCII fields here read alike).
  const int version = static_cast<unsigned char>(magic[6]);
  if (version < 1 || version > 3) {
    error = "'" + path + "' is .npy version " + std::to_string(version) +
            "; versions 1 to 3 are read";
    return false;
  }
  uint32_t headerLength = 0;
  if (version == 1) {
    unsigned char len[2];
    if (!in.read(reinterpret_cast<char *>(len), 2)) {
      error = "'" + path + "' is truncated";
      return false;
    }
    headerLength = len[0] | len[1] << 8;
  } else {
    unsigned char len[4];
    if (!in.read(reinterpret_cast<char *>(len), 4)) {
      error = "'" + path + "' is truncated";
      return false;
    }
    headerLength = len[0] | len[1] << 8 | len[2] << 16 | uint32_t(len[3]) << 24;
  }
  // The header of token ids is a short dictionary; a length beyond what
  // version 1 can express is a damaged file, not one to allocate for.
  const uint32_t maxHeaderLength = 65536;
  if (headerLength > maxHeaderLength) {
    error = "'" + path + "' claims a header of " +
            std::to_string(headerLength) + " bytes; at most " +
            std::to_string(maxHeaderLength) + " are read";
    return false;
  }
  std::string header(headerLength, '\0');
  if (!in.read(header.data(), headerLength)) {
    error = "'" + path + "' is truncated";
    return false;
  }
  std::string descr, order, shapeText;
  if (!headerField(header, "descr", descr) ||
      !headerField(header, "fortran_order", order) ||
      !headerField(header, "shape", shapeText)) {
    error = "'" + path + "' has a malformed .npy header";
    return false;
  }
  if (order.find("False") == std::string::npos) {
    error = "'" + path + "' is in Fortran order; write it in C order";
    return false;
  }
  size_t elementSize;
  if (descr == "<i8")
    elementSize = 8;
  else if (descr == "<i4")
    elementSize = 4;
  else {
    error = "'" + path + "' holds '" + descr +
            "'; token ids must be int64 ('<i8') or int32 ('<i4')";
    return false;
  }
  shape.clear();
  std::stringstream dims(shapeText);
  std::string dim;
  // Elements and bytes, checked for overflow: a damaged shape must not
  // wrap to a small size that the data then seems to match.
  int64_t count = 1, bytes = static_cast<int64_t>(elementSize);
  bool overflow = false;
  while (std::getline(dims, dim, ',')) {
    if (dim.find_first_not_of(' ') == std::string::npos)
      continue;
    char *end = nullptr;
    long long d = std::strtoll(dim.c_str(), &end, 10);
    while (end && *end == ' ')
      ++end;
    if (end == dim.c_str() || (end && *end) || d < 0) {
      error = "'" + path + "' has a malformed shape '(" + shapeText + ")'";
      return false;
    }
    shape.push_back(d);
    overflow |= __builtin_mul_overflow(count, static_cast<int64_t>(d), &count);
    overflow |= __builtin_mul_overflow(bytes, static_cast<int64_t>(d), &bytes);
  }
  if (overflow) {
    error = "'" + path + "' has shape (" + shapeText +
            "), whose size in bytes overflows an int64";
    return false;
  }
  // The data must be exactly what the shape says, checked before anything
  // is allocated for it.
  const std::streamoff dataStart = in.tellg();
  in.seekg(0, std::ios::end);
  const std::streamoff end = in.tellg();
  in.seekg(dataStart);
  if (dataStart < 0 || end < 0 || !in) {
    error = "cannot find the size of '" + path + "' (is it a regular file?)";
    return false;
  }
  const std::streamoff dataBytes = end - dataStart;
  if (dataBytes != bytes) {
    error = "'" + path + "' holds " + std::to_string(dataBytes) +
            " bytes of data, but shape (" + shapeText + ") of '" + descr +
            "' needs " + std::to_string(bytes);
    return false;
  }
  data.resize(count);
  for (int64_t i = 0; i < count; ++i) {
    if (elementSize == 8) {
      int64_t v;
      if (!in.read(reinterpret_cast<char *>(&v), 8)) {
        error = "'" + path + "' is truncated";
        return false;
      }
      data[i] = v;
    } else {
      int32_t v;
      if (!in.read(reinterpret_cast<char *>(&v), 4)) {
        error = "'" + path + "' is truncated";
        return false;
      }
      data[i] = v;
    }
  }
  return true;
}

bool npy::writeArray(const std::string &path, const char *descr,
                     const std::vector<int64_t> &shape, const void *data,
                     size_t bytes, std::string &error) {
  std::string dims;
  for (int64_t d : shape)
    dims += std::to_string(d) + ", ";
  if (shape.size() > 1)
    dims.erase(dims.size() - 1); // "(a, b,)"; a 1-D shape keeps "(a, )"
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Pad with spaces so that the data starts on a 64-byte boundary.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) {
    error = "cannot write '" + path + "'";
    return false;
  }
  uint16_t length = static_cast<uint16_t>(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  out.put(static_cast<char>(length & 0xFF));
  out.put(static_cast<char>(length >> 8));
  out.write(header.data(), header.size());
  out.write(static_cast<const char *>(data),
            static_cast<std::streamsize>(bytes));
  if (!out) {
    error = "writing '" + path + "' failed";
    return false;
  }
  return true;
}

bool npy::writeFloat32(const std::string &path,
                       const std::vector<int64_t> &shape, const float *data,
                       std::string &error) {
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  return writeArray(path, "<f4", shape, data, size_t(count) * sizeof(float),
                    error);
}
