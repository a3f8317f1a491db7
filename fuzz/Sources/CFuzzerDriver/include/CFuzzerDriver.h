#ifndef CFUZZERDRIVER_H
#define CFUZZERDRIVER_H

// libFuzzer's driver, declared for Swift. SwiftPM links every executable with `main` renamed to `<Module>_main`
// (so that its tests can link it), which hides libFuzzer's own `main`: each target defines `<Module>_main` and
// hands its entry point to this driver instead.

#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer with the command line (`argc`/`argv` given, kept for the run) and `callback` as
/// `LLVMFuzzerTestOneInput`. Returns libFuzzer's exit code.
int LLVMFuzzerRunDriver(int *_Nonnull argc, char *_Nullable *_Nonnull *_Nonnull argv,
                        int (*_Nonnull callback)(const uint8_t *_Nullable data, size_t size));

#endif
