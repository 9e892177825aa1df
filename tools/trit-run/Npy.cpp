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
  uint32_t headerLength = 0;
  if (magic[6] == 1) {
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
  int64_t count = 1;
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
    count *= d;
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

bool npy::writeFloat32(const std::string &path,
                       const std::vector<int64_t> &shape, const float *data,
                       std::string &error) {
  std::string dims;
  int64_t count = 1;
  for (int64_t d : shape) {
    dims += std::to_string(d) + ", ";
    count *= d;
  }
  if (shape.size() > 1)
    dims.erase(dims.size() - 1); // "(a, b,)"; a 1-D shape keeps "(a, )"
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                       dims + "), }";
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
  out.write(reinterpret_cast<const char *>(data), count * sizeof(float));
  if (!out) {
    error = "writing '" + path + "' failed";
    return false;
  }
  return true;
}
