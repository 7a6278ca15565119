#include "tools/timeline_print.h"
bool timeline_write_html(const char *path, const TimelineReport *r, char *err, size_t errlen)
{
    (void)r;
    snprintf(err, errlen, "--html %s: not written yet", path);
    return false;
}
