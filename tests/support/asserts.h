/* Comparison asserts that say the values that failed. CMocka 1.1 has
 * equality asserts only; assert_true(n > 0) would report just "n > 0".
 * Include after <cmocka.h>. Each evaluates its operands once. */
#ifndef TEST_ASSERTS_H
#define TEST_ASSERTS_H

#include <string.h>

/* a OP b on integers (as long long): assert_int_cmp(n, >=, 2). */
#define assert_int_cmp(a, op, b)                                               \
    do {                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                    \
        if (!(a_ op b_)) {                                                     \
            fail_msg("%s %s %s: %lld, %lld", #a, #op, #b, a_, b_);             \
        }                                                                      \
    } while (0)

/* a OP b on floating-point values (durations in seconds). */
#define assert_dbl_cmp(a, op, b)                                               \
    do {                                                                       \
        double a_ = (double)(a), b_ = (double)(b);                             \
        if (!(a_ op b_)) {                                                     \
            fail_msg("%s %s %s: %g, %g", #a, #op, #b, a_, b_);                 \
        }                                                                      \
    } while (0)

/* a OP b on pointers (which of two places in a text comes first). */
#define assert_ptr_cmp(a, op, b)                                               \
    do {                                                                       \
        const void *a_ = (a), *b_ = (b);                                       \
        if (!(a_ op b_)) {                                                     \
            fail_msg("%s %s %s: %p, %p", #a, #op, #b, a_, b_);                 \
        }                                                                      \
    } while (0)

/* The first n bytes of a and b are equal (strncmp); both are printed. */
#define assert_strn_equal(a, b, n)                                             \
    do {                                                                       \
        const char *a_ = (a), *b_ = (b);                                       \
        size_t n_ = (size_t)(n);                                               \
        if (a_ == NULL || b_ == NULL || strncmp(a_, b_, n_) != 0) {            \
            fail_msg("%s: \"%.*s\" != \"%.*s\"", #a, (int)n_,                  \
                     a_ != NULL ? a_ : "(null)", (int)n_,                      \
                     b_ != NULL ? b_ : "(null)");                              \
        }                                                                      \
    } while (0)

#endif
