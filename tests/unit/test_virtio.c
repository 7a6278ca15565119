/* Placeholder until the virtio suite lands. */
#include "tests/unit/suites.h"

Suite *suite_virtio(void)
{
    return suite_create("virtio");
}
