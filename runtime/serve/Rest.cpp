//===- Rest.cpp - TensorFlow Serving's REST API over a descriptor ---------===//
// SPDX-License-Identifier: Apache-2.0
//===----------------------------------------------------------------------===//
#include "serve/Rest.h"

#include "base/Descriptor.h"
#include "base/Status.h"

#include <nlohmann/json.hpp>

#include <cfloat>
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>

using namespace kiln;
using namespace kiln::serve;
using Json = nlohmann::json;

namespace {

//===----------------------------------------------------------------------===//
// Routes
//===----------------------------------------------------------------------===//

bool parseVersion(std::string_view text, int64_t &version) {
  if (text.empty() || text.size() > 18)
    return false;
  version = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return false;
    version = version * 10 + (c - '0');
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Requests
//===----------------------------------------------------------------------===//

//===----------------------------------------------------------------------===//
// NaN and Infinity
//===----------------------------------------------------------------------===//
//
// TF Serving parses with rapidjson's kParseNanAndInfFlag, so a request may
// hold the bare tokens NaN, Inf and Infinity (signed), which JSON itself
// lacks. Before parsing, `spellSpecials` rewrites each such token outside a
// string as a string that starts with kSpecial (an escaped U+0001), which
// `specialValue` reads back; a client's own string of that form is read the
// same way, where a number is expected and would be refused anyway.

constexpr char kSpecial = '\x01';

bool isWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_';
}

/// `body` with its special-number tokens spelled as marked strings, or ""
/// when it has none.
std::string spellSpecials(std::string_view body) {
  static constexpr std::string_view kTokens[] = {"-Infinity", "Infinity",
                                                 "-Inf", "Inf", "NaN"};
  std::string out;
  bool inString = false;
  size_t copied = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"') {
      inString = true;
      continue;
    }
    if (c != '-' && c != 'I' && c != 'N')
      continue;
    if (i > 0 && isWordChar(body[i - 1]))
      continue;
    for (std::string_view token : kTokens) {
      size_t end = i + token.size();
      if (body.substr(i, token.size()) != token ||
          (end < body.size() && isWordChar(body[end])))
        continue;
      out.append(body.substr(copied, i - copied));
      out += "\"\\u0001";
      out += token;
      out += '"';
      copied = end;
      i = end - 1;
      break;
    }
  }
  if (copied == 0)
    return {};
  out.append(body.substr(copied));
  return out;
}

/// The float a marked string (spellSpecials) stands for.
std::optional<float> specialValue(const Json &value) {
  if (!value.is_string())
    return std::nullopt;
  const std::string &text = value.get_ref<const std::string &>();
  if (text.empty() || text[0] != kSpecial)
    return std::nullopt;
  std::string_view token = std::string_view(text).substr(1);
  if (token == "NaN")
    return std::numeric_limits<float>::quiet_NaN();
  if (token == "Inf" || token == "Infinity")
    return std::numeric_limits<float>::infinity();
  if (token == "-Inf" || token == "-Infinity")
    return -std::numeric_limits<float>::infinity();
  return std::nullopt;
}

const char *jsonKind(const Json &value) {
  if (specialValue(value))
    return "a non-finite number";
  switch (value.type()) {
  case Json::value_t::null:
    return "null";
  case Json::value_t::object:
    return "an object";
  case Json::value_t::array:
    return "a list";
  case Json::value_t::string:
    return "a string";
  case Json::value_t::boolean:
    return "a boolean";
  default:
    return "a number";
  }
}

/// Appends one element of `dtype` from the JSON scalar `value`.
kiln_status_t appendScalar(const Json &value, int32_t dtype,
                           std::vector<uint8_t> &out,
                           const std::string &where) {
  auto put = [&](const auto &x) {
    const auto *bytes = reinterpret_cast<const uint8_t *>(&x);
    out.insert(out.end(), bytes, bytes + sizeof(x));
  };
  switch (dtype) {
  case KILN_DTYPE_F32: {
    if (std::optional<float> special = specialValue(value)) {
      put(*special);
      return nullptr;
    }
    if (!value.is_number())
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "%s: expected a number (DT_FLOAT), got %s",
                         where.c_str(), jsonKind(value));
    // What TF Serving refuses as "Cannot convert JSON value ... to float
    // without loss of precision": an integer beyond float32's 24-bit
    // significand, which would round, and a number past float32's range,
    // which would become inf.
    constexpr int64_t kMaxExact = (int64_t(1) << FLT_MANT_DIG) - 1;
    if (value.is_number_unsigned() || value.is_number_integer()) {
      bool exact = value.is_number_unsigned()
                       ? value.get<uint64_t>() <= uint64_t(kMaxExact)
                       : std::llabs(value.get<int64_t>()) <= kMaxExact;
      if (!exact)
        return KILN_STATUS(
            KILN_STATUS_INVALID_ARGUMENT,
            "%s: %s cannot be converted to DT_FLOAT without loss of "
            "precision (integers up to %" PRId64 " in magnitude)",
            where.c_str(), value.dump().c_str(), kMaxExact);
    } else if (double x = value.get<double>();
               std::isfinite(x) && std::fabs(x) > FLT_MAX) {
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "%s: %g is outside DT_FLOAT's range (at most %g in "
                         "magnitude)",
                         where.c_str(), x, double(FLT_MAX));
    }
    put(value.get<float>());
    return nullptr;
  }
  case KILN_DTYPE_I32:
  case KILN_DTYPE_I64: {
    bool is64 = dtype == KILN_DTYPE_I64;
    if (!value.is_number_integer())
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "%s: expected an integer (%s), got %s", where.c_str(),
                         is64 ? "DT_INT64" : "DT_INT32",
                         value.is_number() ? "a fraction" : jsonKind(value));
    if (value.is_number_unsigned() &&
        value.get<uint64_t>() > uint64_t(INT64_MAX))
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "%s: integer out of range", where.c_str());
    int64_t x = value.get<int64_t>();
    if (!is64 && (x < INT32_MIN || x > INT32_MAX))
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "%s: %" PRId64 " is out of DT_INT32's range",
                         where.c_str(), x);
    if (is64)
      put(x);
    else
      put(static_cast<int32_t>(x));
    return nullptr;
  }
  default: // KILN_DTYPE_BOOL
    if (value.is_boolean()) {
      out.push_back(value.get<bool>() ? 1 : 0);
      return nullptr;
    }
    if (value.is_number_integer() &&
        (value.get<int64_t>() == 0 || value.get<int64_t>() == 1)) {
      out.push_back(static_cast<uint8_t>(value.get<int64_t>()));
      return nullptr;
    }
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: expected true or false (DT_BOOL), got %s",
                       where.c_str(), jsonKind(value));
  }
}

/// Appends `value`, nested lists of shape dims[0..rank), to `out`.
kiln_status_t appendValue(const Json &value, const int64_t *dims, int rank,
                          int32_t dtype, std::vector<uint8_t> &out,
                          const std::string &where) {
  if (rank == 0)
    return appendScalar(value, dtype, out, where);
  if (!value.is_array())
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: expected a list of %" PRId64 " values, got %s",
                       where.c_str(), dims[0], jsonKind(value));
  if (static_cast<int64_t>(value.size()) != dims[0])
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "%s: expected a list of %" PRId64 " values, got %zu",
                       where.c_str(), dims[0], value.size());
  for (size_t i = 0; i < value.size(); ++i)
    KILN_RETURN_IF_ERROR(appendValue(value[i], dims + 1, rank - 1, dtype, out,
                                     where + "[" + std::to_string(i) + "]"));
  return nullptr;
}

/// The value of input `index` in an object of named inputs; an error names
/// a missing input or one the model does not have.
kiln_status_t namedInputs(const kiln_model_desc_t *desc, const Json &object,
                          const std::string &where,
                          std::vector<const Json *> &values) {
  values.assign(static_cast<size_t>(desc->num_inputs), nullptr);
  for (auto it = object.begin(); it != object.end(); ++it) {
    int64_t found = -1;
    for (int64_t i = 0; i < desc->num_inputs; ++i)
      if (it.key() == desc->inputs[i].name)
        found = i;
    if (found < 0)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "%s: the model has no input named '%s'", where.c_str(),
                         it.key().c_str());
    values[static_cast<size_t>(found)] = &it.value();
  }
  for (int64_t i = 0; i < desc->num_inputs; ++i)
    if (!values[static_cast<size_t>(i)])
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "%s: missing input '%s'",
                         where.c_str(), desc->inputs[i].name);
  return nullptr;
}

kiln_status_t parseRows(const kiln_model_desc_t *desc, const Json &instances,
                        PredictRequest &request) {
  if (!instances.is_array())
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "'instances' must be a list, got %s",
                       jsonKind(instances));
  if (instances.empty())
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "'instances' is an empty list");
  for (int64_t i = 0; i < desc->num_inputs; ++i)
    if (!hasBatch(desc->inputs[i]))
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "input '%s' has a fixed shape without a batch "
                         "dimension: send it in the columnar format "
                         "({\"inputs\": ...})",
                         desc->inputs[i].name);
  for (int64_t o = 0; o < desc->num_outputs; ++o)
    if (!hasBatch(desc->outputs[o]))
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "output '%s' has no batch dimension: ask in the "
                         "columnar format ({\"inputs\": ...})",
                         desc->outputs[o].name);
  int64_t batch = static_cast<int64_t>(instances.size());
  request.batch = batch;
  request.inputs.clear();
  for (int64_t i = 0; i < desc->num_inputs; ++i)
    request.inputs.push_back(allocateTensor(desc->inputs[i], 0)); // no rows
  std::vector<const Json *> values;
  for (int64_t row = 0; row < batch; ++row) {
    const Json &instance = instances[static_cast<size_t>(row)];
    std::string where = "instances[" + std::to_string(row) + "]";
    if (desc->num_inputs == 1 && !instance.is_object()) {
      values.assign(1, &instance);
    } else {
      if (!instance.is_object())
        return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                           "%s: the model has %" PRId64
                           " inputs: expected an object of named inputs, "
                           "got %s",
                           where.c_str(), desc->num_inputs, jsonKind(instance));
      KILN_RETURN_IF_ERROR(namedInputs(desc, instance, where, values));
    }
    for (int64_t i = 0; i < desc->num_inputs; ++i) {
      const kiln_tensor_desc_t &t = desc->inputs[i];
      std::string at = desc->num_inputs == 1 && !instance.is_object()
                           ? where
                           : where + "." + t.name;
      KILN_RETURN_IF_ERROR(appendValue(
          *values[static_cast<size_t>(i)], t.dims + 1, t.rank - 1, t.dtype,
          request.inputs[static_cast<size_t>(i)].bytes, at));
    }
  }
  for (int64_t i = 0; i < desc->num_inputs; ++i)
    request.inputs[static_cast<size_t>(i)].shape[0] = batch;
  return nullptr;
}

kiln_status_t parseColumns(const kiln_model_desc_t *desc, const Json &inputs,
                           PredictRequest &request) {
  std::vector<const Json *> values;
  if (desc->num_inputs == 1 && !inputs.is_object())
    values.assign(1, &inputs);
  else if (!inputs.is_object())
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "'inputs': the model has %" PRId64
                       " inputs: expected an object of named inputs, got %s",
                       desc->num_inputs, jsonKind(inputs));
  else
    KILN_RETURN_IF_ERROR(namedInputs(desc, inputs, "'inputs'", values));
  // The batch: the length of every batched input, which must agree.
  int64_t batch = -1;
  std::string first;
  for (int64_t i = 0; i < desc->num_inputs; ++i) {
    const kiln_tensor_desc_t &t = desc->inputs[i];
    if (!hasBatch(t))
      continue;
    const Json &value = *values[static_cast<size_t>(i)];
    if (!value.is_array())
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "'inputs'.%s: expected a list of samples, got %s",
                         t.name, jsonKind(value));
    auto rows = static_cast<int64_t>(value.size());
    if (batch >= 0 && rows != batch)
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "'inputs': input '%s' has %" PRId64
                         " samples but '%s' has %" PRId64
                         " (the batch must agree)",
                         t.name, rows, first.c_str(), batch);
    batch = rows;
    first = t.name;
  }
  if (batch == 0)
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "'inputs' holds no samples");
  request.batch = batch < 0 ? 1 : batch;
  request.inputs.clear();
  for (int64_t i = 0; i < desc->num_inputs; ++i) {
    const kiln_tensor_desc_t &t = desc->inputs[i];
    Tensor tensor;
    tensor.dtype = t.dtype;
    std::vector<int64_t> dims(t.dims, t.dims + t.rank);
    if (hasBatch(t))
      dims[0] = batch;
    tensor.shape = dims;
    std::string where = "'inputs'." + std::string(t.name);
    KILN_RETURN_IF_ERROR(appendValue(*values[static_cast<size_t>(i)],
                                     dims.data(), t.rank, t.dtype, tensor.bytes,
                                     where));
    request.inputs.push_back(std::move(tensor));
  }
  return nullptr;
}

kiln_status_t parseDocument(const kiln_model_desc_t *desc, const Json &doc,
                            PredictRequest &request) {
  if (!doc.is_object())
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "the request must be a JSON object, got %s",
                       jsonKind(doc));
  auto signature = doc.find("signature_name");
  if (signature != doc.end()) {
    if (!signature->is_string() || specialValue(*signature))
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "'signature_name' must be a string, got %s",
                         jsonKind(*signature));
    const std::string &name = signature->get_ref<const std::string &>();
    if (!name.empty() && name != "serving_default")
      return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                         "Serving signature name: \"%s\" not found in "
                         "signature def (the model has serving_default)",
                         name.c_str());
  }
  auto instances = doc.find("instances");
  auto inputs = doc.find("inputs");
  if (instances != doc.end() && inputs != doc.end())
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "the request has both 'instances' and 'inputs': "
                       "give one");
  if (instances == doc.end() && inputs == doc.end())
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT,
                       "Missing 'inputs' or 'instances' key");
  request.columnar = inputs != doc.end();
  return request.columnar ? parseColumns(desc, *inputs, request)
                          : parseRows(desc, *instances, request);
}

//===----------------------------------------------------------------------===//
// Replies
//===----------------------------------------------------------------------===//

void appendNumber(std::string &out, const uint8_t *at, int32_t dtype) {
  char buffer[32];
  switch (dtype) {
  case KILN_DTYPE_F32: {
    float x;
    std::memcpy(&x, at, sizeof(x));
    if (std::isnan(x)) {
      out += "NaN";
      return;
    }
    if (std::isinf(x)) {
      out += x < 0 ? "-Infinity" : "Infinity";
      return;
    }
    // As TF Serving writes a float: printf's "%g" when it reads back as
    // the same float, else "%.9g"; ".0" after a whole number that has
    // neither a point nor an exponent, so clients read a float ("4.0").
    int length = std::snprintf(buffer, sizeof(buffer), "%g", double(x));
    if (std::strtof(buffer, nullptr) != x)
      length = std::snprintf(buffer, sizeof(buffer), "%.*g",
                             std::numeric_limits<float>::max_digits10,
                             double(x));
    out.append(buffer, size_t(length));
    if (!std::strpbrk(buffer, ".e"))
      out += ".0";
    return;
  }
  case KILN_DTYPE_I32: {
    int32_t x;
    std::memcpy(&x, at, sizeof(x));
    out.append(buffer, std::to_chars(buffer, buffer + sizeof(buffer), x).ptr);
    return;
  }
  case KILN_DTYPE_I64: {
    int64_t x;
    std::memcpy(&x, at, sizeof(x));
    out.append(buffer, std::to_chars(buffer, buffer + sizeof(buffer), x).ptr);
    return;
  }
  default:
    out += *at ? "true" : "false";
  }
}

/// Appends nested lists of shape dims[0..rank) from `data`; returns the
/// bytes read.
size_t appendNested(std::string &out, const uint8_t *data, const int64_t *dims,
                    int rank, int32_t dtype) {
  size_t size = kiln_dtype_size(dtype);
  if (rank == 0) {
    appendNumber(out, data, dtype);
    return size;
  }
  size_t read = 0;
  out += '[';
  for (int64_t i = 0; i < dims[0]; ++i) {
    if (i)
      out += ',';
    read += appendNested(out, data + read, dims + 1, rank - 1, dtype);
  }
  out += ']';
  return read;
}

void appendString(std::string &out, std::string_view text) {
  out += Json(std::string(text))
             .dump(-1, ' ', false, Json::error_handler_t::replace);
}

} // namespace

Route kiln::serve::parseRoute(std::string_view method,
                              std::string_view target) {
  Route route;
  std::string_view path = target.substr(0, target.find('?'));
  constexpr std::string_view prefix = "/v1/models/";
  if (path.substr(0, prefix.size()) != prefix)
    return route;
  path.remove_prefix(prefix.size());
  // The verb after ':' (predict, classify, regress).
  std::string_view verb;
  size_t colon = path.rfind(':');
  if (colon != std::string_view::npos) {
    verb = path.substr(colon + 1);
    path = path.substr(0, colon);
  }
  size_t slash = path.find('/');
  route.model = std::string(path.substr(0, slash));
  if (route.model.empty())
    return route;
  std::string_view rest =
      slash == std::string_view::npos ? "" : path.substr(slash);
  bool metadata = false;
  constexpr std::string_view meta = "/metadata";
  if (rest.size() >= meta.size() &&
      rest.substr(rest.size() - meta.size()) == meta) {
    metadata = true;
    rest.remove_suffix(meta.size());
  }
  constexpr std::string_view versions = "/versions/";
  constexpr std::string_view labels = "/labels/";
  if (rest.substr(0, versions.size()) == versions) {
    if (!parseVersion(rest.substr(versions.size()), route.version))
      return route;
  } else if (rest.substr(0, labels.size()) == labels) {
    route.kind = RouteKind::Unsupported;
    route.what = "version labels";
    return route;
  } else if (!rest.empty()) {
    return route;
  }
  if (!verb.empty()) {
    if (metadata || method != "POST")
      return route;
    if (verb == "predict") {
      route.kind = RouteKind::Predict;
    } else if (verb == "classify" || verb == "regress") {
      route.kind = RouteKind::Unsupported;
      route.what = ":" + std::string(verb);
    }
    return route;
  }
  if (method != "GET")
    return route;
  route.kind = metadata ? RouteKind::Metadata : RouteKind::Status;
  return route;
}

bool kiln::serve::hasBatch(const kiln_tensor_desc_t &t) {
  return t.rank > 0 && t.dims[0] < 0;
}

bool kiln::serve::everyTensorHasBatch(const kiln_model_desc_t *desc) {
  for (int64_t i = 0; i < desc->num_inputs; ++i)
    if (!hasBatch(desc->inputs[i]))
      return false;
  for (int64_t o = 0; o < desc->num_outputs; ++o)
    if (!hasBatch(desc->outputs[o]))
      return false;
  return true;
}

Tensor kiln::serve::allocateTensor(const kiln_tensor_desc_t &tensor,
                                   int64_t rows) {
  Tensor t;
  t.dtype = tensor.dtype;
  t.shape.assign(tensor.dims, tensor.dims + tensor.rank);
  if (!t.shape.empty() && t.shape[0] < 0)
    t.shape[0] = rows;
  size_t elements = 1;
  for (int64_t d : t.shape)
    elements *= static_cast<size_t>(d);
  t.bytes.resize(elements * kiln_dtype_size(tensor.dtype));
  return t;
}

kiln_status_t kiln::serve::parsePredictRequest(const kiln_model_desc_t *desc,
                                               std::string_view body,
                                               PredictRequest &request) {
  Json doc;
  try {
    std::string spelled = spellSpecials(body);
    doc = spelled.empty() ? Json::parse(body.begin(), body.end())
                          : Json::parse(spelled);
  } catch (const Json::exception &error) {
    return KILN_STATUS(KILN_STATUS_INVALID_ARGUMENT, "JSON parse error: %s",
                       error.what());
  }
  return parseDocument(desc, doc, request);
}

std::string
kiln::serve::formatPredictResponse(const kiln_model_desc_t *desc, bool columnar,
                                   int64_t batch,
                                   const std::vector<Tensor> &outputs) {
  std::string out;
  auto name = [&](int64_t o) {
    appendString(out, desc->outputs[o].name);
    out += ':';
  };
  bool single = desc->num_outputs == 1;
  if (columnar) {
    out += "{\"outputs\":";
    if (!single)
      out += '{';
    for (int64_t o = 0; o < desc->num_outputs; ++o) {
      if (o)
        out += ',';
      if (!single)
        name(o);
      const Tensor &t = outputs[static_cast<size_t>(o)];
      appendNested(out, t.bytes.data(), t.shape.data(),
                   static_cast<int>(t.shape.size()), t.dtype);
    }
    out += single ? "}" : "}}";
    return out;
  }
  out += "{\"predictions\":[";
  std::vector<size_t> offsets(static_cast<size_t>(desc->num_outputs), 0);
  for (int64_t row = 0; row < batch; ++row) {
    if (row)
      out += ',';
    if (!single)
      out += '{';
    for (int64_t o = 0; o < desc->num_outputs; ++o) {
      if (o)
        out += ',';
      if (!single)
        name(o);
      const Tensor &t = outputs[static_cast<size_t>(o)];
      size_t &offset = offsets[static_cast<size_t>(o)];
      offset += appendNested(out, t.bytes.data() + offset, t.shape.data() + 1,
                             static_cast<int>(t.shape.size()) - 1, t.dtype);
    }
    if (!single)
      out += '}';
  }
  out += "]}";
  return out;
}

std::string kiln::serve::formatVersionStatus(int64_t version) {
  return "{\"model_version_status\":[{\"version\":\"" +
         std::to_string(version) +
         "\",\"state\":\"AVAILABLE\",\"status\":{\"error_code\":\"OK\","
         "\"error_message\":\"\"}}]}";
}

std::string kiln::serve::formatMetadata(const kiln_model_desc_t *desc,
                                        std::string_view name,
                                        int64_t version) {
  auto tensors = [](const kiln_tensor_desc_t *t, int64_t count) {
    Json map = Json::object();
    for (int64_t i = 0; i < count; ++i) {
      Json dims = Json::array();
      for (int32_t d = 0; d < t[i].rank; ++d)
        dims.push_back({{"size", std::to_string(t[i].dims[d])}, {"name", ""}});
      const char *dtype = t[i].dtype == KILN_DTYPE_I32    ? "DT_INT32"
                          : t[i].dtype == KILN_DTYPE_I64  ? "DT_INT64"
                          : t[i].dtype == KILN_DTYPE_BOOL ? "DT_BOOL"
                                                          : "DT_FLOAT";
      map[t[i].name] = {
          {"dtype", dtype},
          {"tensor_shape", {{"dim", dims}, {"unknown_rank", false}}},
          {"name", std::string(t[i].name) + ":0"}};
    }
    return map;
  };
  Json signature = {{"inputs", tensors(desc->inputs, desc->num_inputs)},
                    {"outputs", tensors(desc->outputs, desc->num_outputs)},
                    {"method_name", "tensorflow/serving/predict"}};
  Json doc = {{"model_spec",
               {{"name", std::string(name)},
                {"signature_name", ""},
                {"version", std::to_string(version)}}},
              {"metadata",
               {{"signature_def",
                 {{"signature_def", {{"serving_default", signature}}}}}}}};
  return doc.dump();
}

std::string kiln::serve::formatError(std::string_view message) {
  std::string out = "{\"error\":";
  appendString(out, message);
  return out + "}";
}

int kiln::serve::httpStatusOf(kiln_status_code_t code) {
  switch (code) {
  case KILN_STATUS_OK:
    return 200;
  case KILN_STATUS_INVALID_ARGUMENT:
  case KILN_STATUS_OUT_OF_RANGE:
    return 400;
  case KILN_STATUS_NOT_FOUND:
    return 404;
  case KILN_STATUS_UNIMPLEMENTED:
    return 501;
  case KILN_STATUS_OUT_OF_MEMORY:
    return 503;
  default:
    return 500;
  }
}
