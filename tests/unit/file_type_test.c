#include <string.h>

#include "../../src/file_type.h"
#include "unit.h"

static const unsigned char jpeg[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F'};
static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13};
static const unsigned char webp[] = {'R', 'I', 'F', 'F', 0x24, 0, 0, 0, 'W', 'E', 'B', 'P'};
static const unsigned char pdf[] = {'%', 'P', 'D', 'F', '-', '1', '.', '7', '\n'};

START_TEST(allowed_types_and_their_spellings)
{
    ck_assert_str_eq(file_type_allowed("image/jpeg"), "image/jpeg");
    ck_assert_str_eq(file_type_allowed("image/png"), "image/png");
    ck_assert_str_eq(file_type_allowed("image/webp"), "image/webp");
    ck_assert_str_eq(file_type_allowed("application/pdf"), "application/pdf");
    /* case, blanks and parameters do not change the type */
    ck_assert_str_eq(file_type_allowed("Image/PNG"), "image/png");
    ck_assert_str_eq(file_type_allowed("  image/png  "), "image/png");
    ck_assert_str_eq(file_type_allowed("image/png; charset=x"), "image/png");
    ck_assert_str_eq(file_type_allowed("APPLICATION/PDF;name=\"a.pdf\""), "application/pdf");
    /* the canonical string itself comes back, so callers may compare pointers */
    ck_assert_ptr_eq(file_type_allowed("IMAGE/WEBP"), file_types[2]);
    ck_assert_uint_eq(file_ntypes, 7);
    ck_assert_str_eq(file_type_allowed("Video/MP4"), "video/mp4");
    ck_assert_int_eq(file_type_is_video(file_type_allowed("video/quicktime")), 1);
    ck_assert_int_eq(file_type_is_video(file_type_allowed("image/png")), 0);
}
END_TEST

START_TEST(other_types_refused)
{
    static const char *const refused[] = {
        "",          "   ",        "image/gif",        "image/svg+xml", "text/html",
        "image/jpg", "image/pngx", "image/pn",         "image/png x",   "application/pdf2",
        "image/",    "image",      "application/json", "image/png\x01", ";image/png",
    };
    ck_assert_ptr_null(file_type_allowed(NULL));
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        ck_assert_msg(file_type_allowed(refused[i]) == NULL, "'%s' was allowed", refused[i]);
}
END_TEST

START_TEST(magic_numbers)
{
    ck_assert_str_eq(file_type_sniff(jpeg, sizeof jpeg), "image/jpeg");
    ck_assert_str_eq(file_type_sniff(png, sizeof png), "image/png");
    ck_assert_str_eq(file_type_sniff(webp, sizeof webp), "image/webp");
    ck_assert_str_eq(file_type_sniff(pdf, sizeof pdf), "application/pdf");
    ck_assert_int_eq(file_type_matches("image/jpeg", jpeg, sizeof jpeg), 1);
    ck_assert_int_eq(file_type_matches("image/png; charset=x", png, sizeof png), 1);
    ck_assert_int_eq(file_type_matches("IMAGE/WEBP", webp, sizeof webp), 1);
    ck_assert_int_eq(file_type_matches("application/pdf", pdf, sizeof pdf), 1);
    /* the exact magic number is enough; one byte short is not */
    ck_assert_int_eq(file_type_matches("image/jpeg", jpeg, 3), 1);
    ck_assert_int_eq(file_type_matches("image/jpeg", jpeg, 2), 0);
    ck_assert_int_eq(file_type_matches("image/png", png, 7), 0);
    ck_assert_int_eq(file_type_matches("image/webp", webp, 11), 0);
    ck_assert_int_eq(file_type_matches("application/pdf", pdf, 4), 0);
    ck_assert_int_eq(file_type_matches("image/png", NULL, 0), 0);
}
END_TEST

START_TEST(video_magic_numbers)
{
    static const unsigned char mp4[] = "\0\0\0\x18"
                                       "ftypisom\0\0\x02\0isomiso2";
    static const unsigned char mov[] = "\0\0\0\x14"
                                       "ftypqt  \0\0\x02\0qt  ";
    static const unsigned char old_mov[] = "\0\0\0\x08"
                                           "wide\0\0\0\0mdat";
    static const unsigned char webm[] = "\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01\x42\x82\x84webm";
    static const unsigned char mkv[] = "\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01\x42\x82\x88matroska";
    ck_assert_str_eq(file_type_sniff(mp4, sizeof mp4), "video/mp4");
    ck_assert_str_eq(file_type_sniff(mov, sizeof mov), "video/quicktime");
    ck_assert_str_eq(file_type_sniff(old_mov, sizeof old_mov), "video/quicktime");
    ck_assert_str_eq(file_type_sniff(webm, sizeof webm), "video/webm");
    ck_assert_ptr_null(file_type_sniff(mkv, sizeof mkv)); /* Matroska is not WebM */
    ck_assert_int_eq(file_type_matches("video/mp4", mp4, sizeof mp4), 1);
    ck_assert_int_eq(file_type_matches("video/mp4", mov, sizeof mov), 0);
    ck_assert_int_eq(file_type_matches("video/webm", webm, 6), 0);
}
END_TEST

START_TEST(declared_type_must_match_the_bytes)
{
    static const unsigned char riff_wav[] = {'R', 'I', 'F', 'F', 0x24, 0, 0, 0, 'W', 'A', 'V', 'E'};
    static const unsigned char html[] = "<html><script>alert(1)</script>";
    ck_assert_int_eq(file_type_matches("image/png", jpeg, sizeof jpeg), 0);
    ck_assert_int_eq(file_type_matches("image/jpeg", png, sizeof png), 0);
    ck_assert_int_eq(file_type_matches("application/pdf", webp, sizeof webp), 0);
    ck_assert_int_eq(file_type_matches("image/webp", pdf, sizeof pdf), 0);
    /* a RIFF file that is not WebP (audio) */
    ck_assert_int_eq(file_type_matches("image/webp", riff_wav, sizeof riff_wav), 0);
    ck_assert_ptr_null(file_type_sniff(riff_wav, sizeof riff_wav));
    ck_assert_ptr_null(file_type_sniff(html, sizeof html - 1));
    ck_assert_int_eq(file_type_matches("image/png", html, sizeof html - 1), 0);
    /* a type that is not allowed never matches, whatever the bytes */
    ck_assert_int_eq(file_type_matches("image/gif", png, sizeof png), 0);
    ck_assert_int_eq(file_type_matches(NULL, png, sizeof png), 0);
    /* the magic number counts only at the start */
    unsigned char shifted[sizeof png + 1] = {' '};
    memcpy(shifted + 1, png, sizeof png);
    ck_assert_int_eq(file_type_matches("image/png", shifted, sizeof shifted), 0);
}
END_TEST

#define H1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

START_TEST(if_none_match_tags)
{
    char out[3 * 65 + 1];
    ck_assert_int_eq(file_if_none_match(NULL, out, sizeof out), 0);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(file_if_none_match("\"" H1 "\"", out, sizeof out), 0);
    ck_assert_str_eq(out, H1);
    /* weak tags, lists, blanks; tags that cannot name a file are dropped */
    ck_assert_int_eq(
        file_if_none_match(" W/\"" H1 "\" , \"abc\", garbage, \"" H2 "\"", out, sizeof out), 0);
    ck_assert_str_eq(out, H1 "," H2);
    ck_assert_int_eq(file_if_none_match(" * ", out, sizeof out), 0);
    ck_assert_str_eq(out, "*");
    /* no SQL list syntax can be smuggled in: only hex tags pass */
    ck_assert_int_eq(file_if_none_match("\"" H1 ",x\", \"{a}\", \"", out, sizeof out), 0);
    ck_assert_str_eq(out, "");
    /* unquoted and upper-case digests are not our tags */
    ck_assert_int_eq(file_if_none_match(H1, out, sizeof out), 0);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(file_if_none_match("\"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
                                        "0123456789ABCDEF\"",
                                        out, sizeof out),
                     0);
    ck_assert_str_eq(out, "");
    /* more tags than fit: refused, nothing half-written */
    ck_assert_int_eq(
        file_if_none_match("\"" H1 "\",\"" H2 "\",\"" H1 "\",\"" H2 "\"", out, sizeof out), -1);
    ck_assert_str_eq(out, "");
}
END_TEST

Suite *file_type_suite(void)
{
    Suite *s = suite_create("file_type");
    TCase *tc = tcase_create("sniffing");
    tcase_add_test(tc, allowed_types_and_their_spellings);
    tcase_add_test(tc, other_types_refused);
    tcase_add_test(tc, magic_numbers);
    tcase_add_test(tc, video_magic_numbers);
    tcase_add_test(tc, declared_type_must_match_the_bytes);
    tcase_add_test(tc, if_none_match_tags);
    suite_add_tcase(s, tc);
    return s;
}
