#ifndef UISERVE_CBROTLI_SHIM_H
#define UISERVE_CBROTLI_SHIM_H
#include <brotli/encode.h>
#endif
