// Writes the image seeds of the FuzzImage target: small JPEGs and PNGs of every kind the decoder handles.
// Built and run by make_seeds.sh (libjpeg-turbo and libpng, the same libraries the project decodes with).
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

static void write_jpeg(const char *path, int width, int height, int components, J_COLOR_SPACE space,
                       int progressive, int quality, int exif_orientation) {
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(1); }
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = width;
    c.image_height = height;
    c.input_components = components;
    c.in_color_space = space;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    if (progressive) jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    if (exif_orientation) {
        // APP1 "Exif\0\0", little-endian TIFF, one IFD entry: Orientation (0x0112), SHORT, 1, value.
        unsigned char exif[] = {'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0,
                                0x12, 0x01, 3, 0, 1, 0, 0, 0, (unsigned char)exif_orientation, 0, 0, 0, 0, 0, 0, 0};
        jpeg_write_marker(&c, JPEG_APP0 + 1, exif, sizeof exif);
    }
    unsigned char *row = malloc((size_t)width * components);
    while (c.next_scanline < c.image_height) {
        for (int x = 0; x < width * components; x++) row[x] = (unsigned char)((x * 37 + c.next_scanline * 91) & 0xFF);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    fclose(f);
}

static void write_png(const char *path, int width, int height, int depth, int type, int interlace, int trns) {
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(1); }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    png_init_io(png, f);
    png_set_IHDR(png, info, width, height, depth, type, interlace, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (type == PNG_COLOR_TYPE_PALETTE) {
        png_color palette[4] = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {255, 255, 255}};
        png_set_PLTE(png, info, palette, 4);
        if (trns) {
            png_byte alpha[2] = {0, 128};
            png_set_tRNS(png, info, alpha, 2, NULL);
        }
    } else if (trns) {
        png_color_16 colour = {0, 1, 1, 1, 1};
        png_set_tRNS(png, info, NULL, 0, &colour);
    }
    png_write_info(png, info);
    int channels = png_get_channels(png, info);
    size_t rowbytes = ((size_t)width * channels * depth + 7) / 8;
    unsigned char *row = malloc(rowbytes);
    int passes = png_set_interlace_handling(png);
    for (int pass = 0; pass < passes; pass++) {
        for (int y = 0; y < height; y++) {
            for (size_t x = 0; x < rowbytes; x++) row[x] = (unsigned char)((x * 53 + y * 29) & 0xFF);
            if (type == PNG_COLOR_TYPE_PALETTE && depth == 8)
                for (size_t x = 0; x < rowbytes; x++) row[x] &= 3;
            png_write_row(png, row);
        }
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(row);
    fclose(f);
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]); return 2; }
    char path[4096];
#define OUT(name) (snprintf(path, sizeof path, "%s/%s", argv[1], name), path)
    write_jpeg(OUT("gray_8x8.jpg"), 8, 8, 1, JCS_GRAYSCALE, 0, 75, 0);
    write_jpeg(OUT("rgb_16x16.jpg"), 16, 16, 3, JCS_RGB, 0, 50, 0);
    write_jpeg(OUT("rgb_progressive_17x9.jpg"), 17, 9, 3, JCS_RGB, 1, 50, 0);
    write_jpeg(OUT("cmyk_8x8.jpg"), 8, 8, 4, JCS_CMYK, 0, 50, 0);
    write_jpeg(OUT("exif_orientation6_12x8.jpg"), 12, 8, 3, JCS_RGB, 0, 30, 6);
    write_jpeg(OUT("exif_orientation3_8x8.jpg"), 8, 8, 1, JCS_GRAYSCALE, 0, 30, 3);
    write_png(OUT("gray1_9x5.png"), 9, 5, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, 0);
    write_png(OUT("gray_alpha_4x4.png"), 4, 4, 8, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_INTERLACE_NONE, 0);
    write_png(OUT("palette_trns_6x6.png"), 6, 6, 8, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, 1);
    write_png(OUT("rgb_trns_interlaced_7x7.png"), 7, 7, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_ADAM7, 1);
    write_png(OUT("rgba16_3x3.png"), 3, 3, 16, PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE, 0);
    return 0;
}
