// io_probe: asks Paddle Inference 3.3.1 for a model's input/output metadata exactly as the C++ API reports it.
//
// The Python bindings of paddle.inference do not expose Predictor::GetInputTensorShape/GetOutputTensorShape/
// GetInputTypes/GetOutputTypes, and the Swift SDK calls those very functions, so the oracle needs their real
// answers. This file is built into a small shared library (see paddle_oracle.py: build_probe) that is loaded with
// ctypes into the oracle's Python process, where `import paddle` has already loaded libpaddle.so.
//
// The wheel ships no C++ headers. The few engine entry points used here are declared by their mangled names
// (GCC asm labels); layouts and sizes come from docs/engine.md ("Object layouts"):
//   sizeof(paddle::AnalysisConfig) = 0x660, sizeof(paddle_infer::Predictor) = 8 (one unique_ptr<PaddlePredictor>),
//   ~Predictor is not exported: it is the deleting destructor in vtable slot 17 of the inner PaddlePredictor.
//
// C API (all strings UTF-8, result owned by the caller, release with io_probe_free):
//   char *io_probe(const char *prog, const char *params, const char *dir, int onednn, int threads, int ir_optim)
// Pass prog+params (dir = NULL) for Config(prog, params), or dir (prog = params = NULL) for Config(dir).
// Returns a JSON object:
//   {"ok": true, "inputs": [{"name", "shape", "type"}], "outputs": [...],
//    "input_types_error": str|null, "output_types_error": str|null}
// where "type" is the paddle_infer::DataType value reported by GetInputTypes/GetOutputTypes on a fresh predictor
// (null when that call threw; the message is in *_types_error), or {"ok": false, "error": str}.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <new>
#include <string>
#include <vector>

namespace {

using String = std::string;
using Shapes = std::map<String, std::vector<int64_t>>;
using Types = std::map<String, int>;  // paddle_infer::DataType is a plain int enum

// ---- Engine entry points (Itanium ABI: member functions take `this` first) ---------------------------------
void ConfigCtorFiles(void *self, const String &prog, const String &params) asm(
    "_ZN6paddle14AnalysisConfigC1ERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEES8_");
void ConfigCtorDir(void *self, const String &dir) asm(
    "_ZN6paddle14AnalysisConfigC1ERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE");
void ConfigDtor(void *self) asm("_ZN6paddle14AnalysisConfigD1Ev");
void ConfigDisableGpu(void *self) asm("_ZN6paddle14AnalysisConfig10DisableGpuEv");
void ConfigDisableMKLDNN(void *self) asm("_ZN6paddle14AnalysisConfig13DisableMKLDNNEv");
void ConfigDisableGlogInfo(void *self) asm("_ZN6paddle14AnalysisConfig15DisableGlogInfoEv");
void ConfigSetThreads(void *self, int n) asm("_ZN6paddle14AnalysisConfig27SetCpuMathLibraryNumThreadsEi");
void ConfigSwitchIrOptim(void *self, int on) asm("_ZN6paddle14AnalysisConfig13SwitchIrOptimEi");
void ConfigEnableMemoryOptim(void *self, bool on) asm("_ZN6paddle14AnalysisConfig17EnableMemoryOptimEb");

void PredictorCtor(void *self, const void *config) asm("_ZN12paddle_infer9PredictorC1ERKN6paddle14AnalysisConfigE");
std::vector<String> PredictorInputNames(void *self) asm("_ZN12paddle_infer9Predictor13GetInputNamesB5cxx11Ev");
std::vector<String> PredictorOutputNames(void *self) asm("_ZN12paddle_infer9Predictor14GetOutputNamesB5cxx11Ev");
Shapes PredictorInputShapes(void *self) asm("_ZN12paddle_infer9Predictor19GetInputTensorShapeB5cxx11Ev");
Shapes PredictorOutputShapes(void *self) asm("_ZN12paddle_infer9Predictor20GetOutputTensorShapeB5cxx11Ev");
Types PredictorInputTypes(void *self) asm("_ZN12paddle_infer9Predictor13GetInputTypesB5cxx11Ev");
Types PredictorOutputTypes(void *self) asm("_ZN12paddle_infer9Predictor14GetOutputTypesB5cxx11Ev");

constexpr size_t kConfigSize = 0x800;  // >= sizeof(AnalysisConfig) = 0x660
constexpr size_t kPredictorDeletingDtorSlot = 17;

// ---- Tiny JSON writer ----------------------------------------------------------------------------------------
void AppendJsonString(String &out, const String &s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void AppendIo(String &out, const std::vector<String> &names, const Shapes &shapes, const Types *types) {
  out += '[';
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ", ";
    out += "{\"name\": ";
    AppendJsonString(out, names[i]);
    out += ", \"shape\": ";
    auto s = shapes.find(names[i]);
    if (s == shapes.end()) {
      out += "null";
    } else {
      out += '[';
      for (size_t d = 0; d < s->second.size(); ++d) {
        if (d) out += ", ";
        out += std::to_string(s->second[d]);
      }
      out += ']';
    }
    out += ", \"type\": ";
    auto t = types ? types->find(names[i]) : Types::const_iterator();
    if (!types || t == types->end()) {
      out += "null";
    } else {
      out += std::to_string(t->second);
    }
    out += '}';
  }
  out += ']';
}

char *Dup(const String &s) {
  char *p = static_cast<char *>(malloc(s.size() + 1));
  if (p) memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

String ErrorJson(const String &message) {
  String out = "{\"ok\": false, \"error\": ";
  AppendJsonString(out, message);
  out += '}';
  return out;
}

// Destroys a paddle_infer::Predictor living in `storage` (see the notes: ~Predictor is inline, not exported).
void DestroyPredictor(void *storage) {
  void *inner = *static_cast<void **>(storage);
  if (!inner) return;
  auto vtable = *static_cast<void (***)(void *)>(inner);
  vtable[kPredictorDeletingDtorSlot](inner);
  *static_cast<void **>(storage) = nullptr;
}

}  // namespace

extern "C" char *io_probe(const char *prog, const char *params, const char *dir, int onednn, int threads,
                          int ir_optim) {
  alignas(64) unsigned char config[kConfigSize];
  alignas(16) unsigned char predictor[8] = {0};
  bool config_built = false;
  String out;
  try {
    if (dir) {
      ConfigCtorDir(config, dir);
    } else {
      ConfigCtorFiles(config, prog ? prog : "", params ? params : "");
    }
    config_built = true;
    ConfigDisableGpu(config);
    ConfigSetThreads(config, threads);
    ConfigSwitchIrOptim(config, ir_optim);
    ConfigEnableMemoryOptim(config, false);
    ConfigDisableGlogInfo(config);
    if (!onednn) ConfigDisableMKLDNN(config);
    PredictorCtor(predictor, config);
    if (*reinterpret_cast<void **>(predictor) == nullptr) {
      out = ErrorJson("predictor initialisation failed (AnalysisPredictor::Init returned false)");
    } else {
      std::vector<String> in_names = PredictorInputNames(predictor);
      std::vector<String> out_names = PredictorOutputNames(predictor);
      Shapes in_shapes = PredictorInputShapes(predictor);
      Shapes out_shapes = PredictorOutputShapes(predictor);
      Types in_types, out_types;
      String in_error, out_error;
      bool in_ok = true, out_ok = true;
      // Legacy programs throw here for float64 and bool outputs ("Unsupported data type ... get output dtype").
      try {
        in_types = PredictorInputTypes(predictor);
      } catch (const std::exception &e) {
        in_ok = false;
        in_error = e.what();
      }
      try {
        out_types = PredictorOutputTypes(predictor);
      } catch (const std::exception &e) {
        out_ok = false;
        out_error = e.what();
      }
      out = "{\"ok\": true, \"inputs\": ";
      AppendIo(out, in_names, in_shapes, in_ok ? &in_types : nullptr);
      out += ", \"outputs\": ";
      AppendIo(out, out_names, out_shapes, out_ok ? &out_types : nullptr);
      out += ", \"input_types_error\": ";
      if (in_ok) out += "null"; else AppendJsonString(out, in_error);
      out += ", \"output_types_error\": ";
      if (out_ok) out += "null"; else AppendJsonString(out, out_error);
      out += '}';
    }
  } catch (const std::exception &e) {
    out = ErrorJson(e.what());
  } catch (...) {
    out = ErrorJson("unknown C++ exception");
  }
  try { DestroyPredictor(predictor); } catch (...) {}
  if (config_built) ConfigDtor(config);
  return Dup(out);
}

extern "C" void io_probe_free(char *p) { free(p); }
