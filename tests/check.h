/* tests/check.h: the unit-test harness: CHECK(cond) counts a pass or prints a failure. */
#ifndef CHECK_H
#define CHECK_H
#include <stdio.h>
#include <string.h>
static int check_passed, check_failed;
#define CHECK(cond) do { if (cond) check_passed++; else { check_failed++; \
    fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_STR(a, b) do { const char *ca_ = (a), *cb_ = (b); \
    if (ca_ && cb_ && strcmp(ca_, cb_) == 0) check_passed++; else { check_failed++; \
    fprintf(stderr, "%s:%d: check failed: %s == \"%s\" (got \"%s\")\n", __FILE__, __LINE__, \
    #a, cb_ ? cb_ : "(null)", ca_ ? ca_ : "(null)"); } } while (0)
/*
 * Doubles. EXACT where the bits are the point (a value parsed, stored or
 * read back): the casts drop the extra precision a constant or expression
 * may carry (FLT_EVAL_METHOD 2: i386's x87 evaluates 0.03 as a long
 * double). NEAR, within tol, where a computed value may differ in its
 * last bits.
 */
#define CHECK_EXACT(a, b) CHECK((double)(a) == (double)(b))
#define CHECK_NEAR(a, b, tol) CHECK((double)(a) - (double)(b) <= (tol) && \
    (double)(b) - (double)(a) <= (tol))
#define CHECK_DONE() (printf("%d passed, %d failed\n", check_passed, check_failed), \
    check_failed ? 1 : 0)
#endif
