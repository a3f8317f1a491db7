// Plain-C shim over libjpeg-turbo and libpng (see include/CImageCodecs.h).
// libjpeg and libpng report fatal errors by longjmp; every longjmp lands inside this file.
#include "CImageCodecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#define CIC_MAX_PIXELS ((size_t)1 << 28) // 268 M pixels: beyond that we refuse instead of allocating

static void cic_set_error(char *error, size_t capacity, const char *message) {
    if (capacity == 0) return;
    snprintf(error, capacity, "%s", message);
}

void cic_image_free(cic_image *image) {
    free(image->pixels);
    image->pixels = NULL;
}

void cic_buffer_free(void *buffer) { free(buffer); }

int cic_jpeg_lib_version(void) {
#ifdef LIBJPEG_TURBO_VERSION_NUMBER
    return LIBJPEG_TURBO_VERSION_NUMBER;
#else
    return JPEG_LIB_VERSION;
#endif
}

const char *cic_png_lib_version(void) { return PNG_LIBPNG_VER_STRING; }

// MARK: - JPEG

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    int code;
} cic_jpeg_error;

static void cic_jpeg_error_exit(j_common_ptr cinfo) {
    cic_jpeg_error *err = (cic_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
    err->code = CIC_ERR_INVALID;
    longjmp(err->jump, 1);
}

static void cic_jpeg_emit_message(j_common_ptr cinfo, int level) {
    cic_jpeg_error *err = (cic_jpeg_error *)cinfo->err;
    // A premature end of data is a warning for libjpeg (it pads with grey); for us it is an error.
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
        (*cinfo->err->format_message)(cinfo, err->message);
        err->code = CIC_ERR_INVALID;
        longjmp(err->jump, 1);
    }
}

int cic_jpeg_decode(const uint8_t *data, size_t size, size_t max_pixels, cic_image *out, char *error,
                    size_t error_capacity) {
    memset(out, 0, sizeof(*out));
    if (max_pixels == 0 || max_pixels > CIC_MAX_PIXELS) max_pixels = CIC_MAX_PIXELS;
    if (size < 4) {
        cic_set_error(error, error_capacity, "JPEG data too short");
        return CIC_ERR_INVALID;
    }
    struct jpeg_decompress_struct cinfo;
    cic_jpeg_error jerr;
    memset(&cinfo, 0, sizeof(cinfo));
    memset(&jerr, 0, sizeof(jerr));
    cinfo.err = jpeg_std_error(&jerr.base);
    jerr.base.error_exit = cic_jpeg_error_exit;
    jerr.base.emit_message = cic_jpeg_emit_message;
    uint8_t *volatile pixels = NULL;
    uint8_t *volatile row = NULL;
    if (setjmp(jerr.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        free(row);
        cic_set_error(error, error_capacity, jerr.message[0] ? jerr.message : "invalid JPEG data");
        return jerr.code ? jerr.code : CIC_ERR_INVALID;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    // Before jpeg_start_decompress: for a progressive JPEG it allocates coefficient buffers for the whole image.
    if (cinfo.image_width == 0 || cinfo.image_height == 0
        || (size_t)cinfo.image_width * cinfo.image_height > max_pixels) {
        jpeg_destroy_decompress(&cinfo);
        cic_set_error(error, error_capacity, "JPEG dimensions out of range");
        return CIC_ERR_TOO_LARGE;
    }
    int kind;
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo.out_color_space = JCS_GRAYSCALE; kind = CIC_SOURCE_GRAY; break;
    case JCS_CMYK: case JCS_YCCK: cinfo.out_color_space = JCS_CMYK; kind = CIC_SOURCE_CMYK; break;
    default: cinfo.out_color_space = JCS_RGB; kind = CIC_SOURCE_RGB; break;
    }
    // Pillow's defaults: accurate integer IDCT, fancy upsampling.
    cinfo.dct_method = JDCT_ISLOW;
    cinfo.do_fancy_upsampling = TRUE;
    jpeg_start_decompress(&cinfo);
    size_t width = cinfo.output_width, height = cinfo.output_height;
    int in_channels = cinfo.output_components;
    int channels = kind == CIC_SOURCE_CMYK ? 3 : in_channels;
    if (width == 0 || height == 0 || width * height > max_pixels) {
        jpeg_destroy_decompress(&cinfo);
        cic_set_error(error, error_capacity, "JPEG dimensions out of range");
        return CIC_ERR_TOO_LARGE;
    }
    pixels = malloc(width * height * (size_t)channels);
    row = malloc(width * (size_t)in_channels);
    if (!pixels || !row) {
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        free(row);
        cic_set_error(error, error_capacity, "out of memory");
        return CIC_ERR_NOMEM;
    }
    int inverted = cinfo.saw_Adobe_marker; // Adobe CMYK JPEGs store inverted values
    while (cinfo.output_scanline < cinfo.output_height) {
        size_t y = cinfo.output_scanline;
        JSAMPROW rows[1] = { kind == CIC_SOURCE_CMYK ? row : pixels + y * width * (size_t)channels };
        jpeg_read_scanlines(&cinfo, rows, 1);
        if (kind == CIC_SOURCE_CMYK) {
            uint8_t *dst = pixels + y * width * 3;
            for (size_t x = 0; x < width; x++) {
                int c = row[4 * x], m = row[4 * x + 1], ye = row[4 * x + 2], k = row[4 * x + 3];
                if (!inverted) { c = 255 - c; m = 255 - m; ye = 255 - ye; k = 255 - k; }
                // now c,m,y,k are "inverted" (255 = no ink): rgb = c*k/255
                dst[3 * x] = (uint8_t)((c * k + 127) / 255);
                dst[3 * x + 1] = (uint8_t)((m * k + 127) / 255);
                dst[3 * x + 2] = (uint8_t)((ye * k + 127) / 255);
            }
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(row);
    out->pixels = pixels;
    out->width = (int32_t)width;
    out->height = (int32_t)height;
    out->channels = channels;
    out->source_kind = kind;
    return CIC_OK;
}

// MARK: - PNG decode

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
} cic_png_reader;

typedef struct {
    char message[256];
} cic_png_error_state;

static void cic_png_error_fn(png_structp png, png_const_charp message) {
    cic_png_error_state *state = png_get_error_ptr(png);
    if (state) snprintf(state->message, sizeof(state->message), "%s", message);
    png_longjmp(png, 1);
}

static void cic_png_warning_fn(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static void cic_png_read_fn(png_structp png, png_bytep out, png_size_t length) {
    cic_png_reader *reader = png_get_io_ptr(png);
    if (reader->size - reader->offset < length) {
        png_error(png, "truncated PNG data");
        return;
    }
    memcpy(out, reader->data + reader->offset, length);
    reader->offset += length;
}

int cic_png_decode(const uint8_t *data, size_t size, size_t max_pixels, cic_image *out, char *error,
                   size_t error_capacity) {
    memset(out, 0, sizeof(*out));
    if (max_pixels == 0 || max_pixels > CIC_MAX_PIXELS) max_pixels = CIC_MAX_PIXELS;
    if (size < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        cic_set_error(error, error_capacity, "not a PNG signature");
        return CIC_ERR_INVALID;
    }
    cic_png_error_state state;
    memset(&state, 0, sizeof(state));
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &state, cic_png_error_fn, cic_png_warning_fn);
    if (!png) {
        cic_set_error(error, error_capacity, "out of memory");
        return CIC_ERR_NOMEM;
    }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        cic_set_error(error, error_capacity, "out of memory");
        return CIC_ERR_NOMEM;
    }
    cic_png_reader reader = { data, size, 0 };
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(pixels);
        free(rows);
        cic_set_error(error, error_capacity, state.message[0] ? state.message : "invalid PNG data");
        return CIC_ERR_INVALID;
    }
    png_set_read_fn(png, &reader, cic_png_read_fn);
    png_set_user_limits(png, 1u << 20, 1u << 20);
    png_read_info(png, info);
    png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    int color_type = png_get_color_type(png, info);
    int bit_depth = png_get_bit_depth(png, info);
    int has_trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    if ((size_t)width * height > max_pixels) {
        png_destroy_read_struct(&png, &info, NULL);
        cic_set_error(error, error_capacity, "PNG dimensions out of range");
        return CIC_ERR_TOO_LARGE;
    }
    int kind;
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: kind = CIC_SOURCE_GRAY; break;
    case PNG_COLOR_TYPE_GRAY_ALPHA: kind = CIC_SOURCE_GRAY_ALPHA; break;
    case PNG_COLOR_TYPE_PALETTE: kind = CIC_SOURCE_PALETTE; break;
    case PNG_COLOR_TYPE_RGB_ALPHA: kind = CIC_SOURCE_RGBA; break;
    default: kind = CIC_SOURCE_RGB; break;
    }
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (has_trns) png_set_tRNS_to_alpha(png);
    if (bit_depth == 16) png_set_strip_16(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int channels = png_get_channels(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    if (channels < 1 || channels > 4 || rowbytes != (size_t)width * (size_t)channels) {
        png_destroy_read_struct(&png, &info, NULL);
        cic_set_error(error, error_capacity, "unsupported PNG layout");
        return CIC_ERR_UNSUPPORTED;
    }
    pixels = malloc(rowbytes * height);
    rows = malloc(sizeof(png_bytep) * height);
    if (!pixels || !rows) {
        png_destroy_read_struct(&png, &info, NULL);
        free(pixels);
        free(rows);
        cic_set_error(error, error_capacity, "out of memory");
        return CIC_ERR_NOMEM;
    }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + (size_t)y * rowbytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    out->pixels = pixels;
    out->width = (int32_t)width;
    out->height = (int32_t)height;
    out->channels = channels;
    out->source_kind = kind;
    return CIC_OK;
}

// MARK: - PNG encode

typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
    int failed;
} cic_png_writer;

static void cic_png_write_fn(png_structp png, png_bytep bytes, png_size_t length) {
    cic_png_writer *writer = png_get_io_ptr(png);
    if (writer->size + length > writer->capacity) {
        size_t capacity = writer->capacity ? writer->capacity : 4096;
        while (capacity < writer->size + length) capacity *= 2;
        uint8_t *grown = realloc(writer->data, capacity);
        if (!grown) {
            writer->failed = 1;
            png_error(png, "out of memory");
            return;
        }
        writer->data = grown;
        writer->capacity = capacity;
    }
    memcpy(writer->data + writer->size, bytes, length);
    writer->size += length;
}

static void cic_png_flush_fn(png_structp png) { (void)png; }

int cic_png_encode(const uint8_t *pixels, int32_t width, int32_t height, int32_t channels, size_t stride,
                   uint8_t **out, size_t *out_size, char *error, size_t error_capacity) {
    *out = NULL;
    *out_size = 0;
    if (width <= 0 || height <= 0 || channels < 1 || channels > 4 || stride < (size_t)width * (size_t)channels) {
        cic_set_error(error, error_capacity, "invalid image layout for PNG encoding");
        return CIC_ERR_INVALID;
    }
    cic_png_error_state state;
    memset(&state, 0, sizeof(state));
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &state, cic_png_error_fn, cic_png_warning_fn);
    if (!png) {
        cic_set_error(error, error_capacity, "out of memory");
        return CIC_ERR_NOMEM;
    }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        cic_set_error(error, error_capacity, "out of memory");
        return CIC_ERR_NOMEM;
    }
    cic_png_writer writer = { NULL, 0, 0, 0 };
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(writer.data);
        cic_set_error(error, error_capacity, state.message[0] ? state.message : "PNG encoding failed");
        return writer.failed ? CIC_ERR_NOMEM : CIC_ERR_INVALID;
    }
    static const int types[5] = { 0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                  PNG_COLOR_TYPE_RGB_ALPHA };
    png_set_write_fn(png, &writer, cic_png_write_fn, cic_png_flush_fn);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, types[channels], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 6);
    png_write_info(png, info);
    for (int32_t y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(pixels + (size_t)y * stride));
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    *out = writer.data;
    *out_size = writer.size;
    return CIC_OK;
}
