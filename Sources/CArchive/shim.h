#ifndef UISERVE_CARCHIVE_SHIM_H
#define UISERVE_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>

/* AE_IF* are cast macros, which Swift does not import: typed constants stand in for them. */
static const unsigned int uiserve_AE_IFMT = AE_IFMT;
static const unsigned int uiserve_AE_IFREG = AE_IFREG;
static const unsigned int uiserve_AE_IFDIR = AE_IFDIR;
static const unsigned int uiserve_AE_IFLNK = AE_IFLNK;
static const unsigned int uiserve_AE_IFCHR = AE_IFCHR;
static const unsigned int uiserve_AE_IFBLK = AE_IFBLK;
static const unsigned int uiserve_AE_IFIFO = AE_IFIFO;
static const unsigned int uiserve_AE_IFSOCK = AE_IFSOCK;
#endif
