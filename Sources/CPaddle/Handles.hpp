// The shim's opaque handle types (see CPaddle.h).
#pragma once

#include "PaddleABI.hpp"

/// An engine paddle::AnalysisConfig constructed in place in this storage.
struct pds_config {
    alignas(64) unsigned char storage[pds::kConfigStorageSize];
    void *engine() { return storage; }
    const void *engine() const { return storage; }
};

/// Owns a paddle_infer::Predictor (8 bytes: unique_ptr<PaddlePredictor>), allocated with ::operator new(8).
struct pds_predictor {
    void *engine;
};
