/* Placeholder until the boot suite lands. */
#include "tests/unit/suites.h"

Suite *suite_boot(void)
{
    return suite_create("boot");
}
