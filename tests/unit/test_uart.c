/* Placeholder until the uart suite lands. */
#include "tests/unit/suites.h"

Suite *suite_uart(void)
{
    return suite_create("uart");
}
