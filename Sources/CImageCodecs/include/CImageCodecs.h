#ifndef CIMAGECODECS_H
#define CIMAGECODECS_H

// Plain-C shim over libjpeg-turbo and libpng. Every symbol is prefixed `cic_`.
// Errors never abort or longjmp into the caller: they return a non-zero code and
// write a NUL-terminated message into the caller's buffer.

#include <stddef.h>
#include <stdint.h>

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if !__has_feature(nullability)
#define _Nonnull
#define _Nullable
#endif

#ifdef __cplusplus
extern "C" {
#endif

/// Return codes.
enum {
    CIC_OK = 0,
    CIC_ERR_INVALID = 1,    ///< not decodable: bad header, truncated or corrupt data
    CIC_ERR_UNSUPPORTED = 2, ///< valid but unsupported (e.g. 12-bit JPEG)
    CIC_ERR_NOMEM = 3,
    CIC_ERR_TOO_LARGE = 4,
};

/// What the source stored, before conversion.
enum {
    CIC_SOURCE_GRAY = 1,
    CIC_SOURCE_GRAY_ALPHA = 2,
    CIC_SOURCE_RGB = 3,
    CIC_SOURCE_RGBA = 4,
    CIC_SOURCE_PALETTE = 5,
    CIC_SOURCE_CMYK = 6,
};

/// A decoded image: 8-bit interleaved, `channels` = 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA).
/// `pixels` is owned by the struct (taken by the caller): release it with `cic_image_free`.
typedef struct cic_image {
    uint8_t *_Nullable pixels;
    int32_t width;
    int32_t height;
    int32_t channels;
    int32_t source_kind; ///< one of CIC_SOURCE_*
} cic_image;

/// Releases the pixels of `image` (kept struct, freed buffer). Safe on a zeroed struct.
void cic_image_free(cic_image *_Nonnull image);

/// Decodes a JPEG held in `data` (given, not kept). Gray stays 1 channel; YCbCr becomes RGB;
/// CMYK/YCCK (Adobe, inverted) becomes RGB. An image of more than `max_pixels` pixels (0, or more than
/// 2^28, means 2^28) is CIC_ERR_TOO_LARGE, refused from its header before anything image-sized is allocated.
/// On failure returns a CIC_ERR_* and fills `error`.
int cic_jpeg_decode(const uint8_t *_Nonnull data, size_t size, size_t max_pixels, cic_image *_Nonnull out,
                    char *_Nonnull error, size_t error_capacity);

/// Decodes a PNG held in `data` (given, not kept). Palette becomes real colours (RGB, or RGBA when
/// it has transparency), low bit depths become 8 bits, 16 bits keep their high byte,
/// tRNS becomes an alpha channel. Gamma is ignored (like Pillow). `max_pixels` as for `cic_jpeg_decode`.
int cic_png_decode(const uint8_t *_Nonnull data, size_t size, size_t max_pixels, cic_image *_Nonnull out,
                   char *_Nonnull error, size_t error_capacity);

/// Encodes 8-bit interleaved pixels (`channels` 1..4, rows `stride` bytes apart; given, not kept) as a PNG.
/// On success `*out` is a malloc'ed buffer taken by the caller (free with `cic_buffer_free`).
int cic_png_encode(const uint8_t *_Nonnull pixels, int32_t width, int32_t height, int32_t channels,
                   size_t stride, uint8_t *_Nullable *_Nonnull out, size_t *_Nonnull out_size,
                   char *_Nonnull error, size_t error_capacity);

/// Releases a buffer returned by `cic_png_encode`.
void cic_buffer_free(void *_Nullable buffer);

/// libjpeg and libpng versions linked, for diagnostics.
int cic_jpeg_lib_version(void);
const char *_Nonnull cic_png_lib_version(void);

#ifdef __cplusplus
}
#endif

#endif
