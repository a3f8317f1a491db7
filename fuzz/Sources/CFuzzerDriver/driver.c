// Only a header: LLVMFuzzerRunDriver comes from libFuzzer's runtime (linked by -sanitize=fuzzer).
#include "CFuzzerDriver.h"
