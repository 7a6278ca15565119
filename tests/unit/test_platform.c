/* Placeholder until the platform suite lands. */
#include "tests/unit/suites.h"

Suite *suite_platform(void)
{
    return suite_create("platform");
}
