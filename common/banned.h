/* Calls this project never makes, turned into compile errors (git's banned.h): each has a
 * bounded or checked replacement. The Makefile includes this header first in every file
 * it compiles (-include), so it first includes the system headers that declare them,
 * whose include guards then keep later includes from seeing the macros.
 *
 *   strcpy, strcat, strncpy, strncat  -> snprintf, memcpy with a known length, struct buf
 *   sprintf, vsprintf                 -> snprintf, vsnprintf, buf_addf
 *   gets                              -> fgets
 *   strtok, strtok_r                  -> strchr / strcspn on a bounded copy
 *   atoi, atol, atoll                 -> strtoll with an end pointer and errno
 *   localtime, gmtime, ctime, asctime -> gmtime_r (times are UTC)
 */
#ifndef WH_BANNED_H
#define WH_BANNED_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef gets
#define gets(x) BANNED(gets)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef strtok_r
#define strtok_r(x, y, z) BANNED(strtok_r)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)
#undef atoll
#define atoll(x) BANNED(atoll)
#undef localtime
#define localtime(x) BANNED(localtime)
#undef gmtime
#define gmtime(x) BANNED(gmtime)
#undef ctime
#define ctime(x) BANNED(ctime)
#undef asctime
#define asctime(x) BANNED(asctime)

#endif
