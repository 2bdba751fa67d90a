#ifndef UISERVE_CMAGIC_SHIM_H
#define UISERVE_CMAGIC_SHIM_H
#include <magic.h>
#endif
