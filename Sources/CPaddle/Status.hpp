// Error plumbing shared by every shim entry point: exceptions stop here and become a status plus a message.
#pragma once

#include "CPaddle.h"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>

namespace pds {

/// Copies `message` into a malloc'd C string owned by the caller (null if allocation fails).
inline char *owned_cstring(const std::string &message) {
    char *out = static_cast<char *>(std::malloc(message.size() + 1));
    if (out) std::memcpy(out, message.c_str(), message.size() + 1);
    return out;
}

/// Sets *error (when requested) and returns `code`.
inline pds_status fail(char **error, pds_status code, const std::string &message) {
    if (error) *error = owned_cstring(message);
    return code;
}

/// Runs `body` and turns any C++ exception into PDS_ERR_ENGINE with the exception's message.
template <typename Body>
pds_status guard(char **error, Body &&body) noexcept {
    if (error) *error = nullptr;
    try {
        return body();
    } catch (const std::bad_alloc &) {
        return fail(error, PDS_ERR_ENGINE, "out of memory");
    } catch (const std::exception &e) {
        return fail(error, PDS_ERR_ENGINE, e.what());
    } catch (...) {
        return fail(error, PDS_ERR_ENGINE, "unknown C++ exception from Paddle Inference");
    }
}

}  // namespace pds
