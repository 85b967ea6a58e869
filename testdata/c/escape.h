/* escape.h: keep gcc -O2 from deleting or fusing the allocations a
 * workload exists to make. gcc removes a malloc+memset+free triple whose
 * memory is never read, and turns malloc+memset(0) into calloc; passing
 * the pointer to an empty asm that "reads memory" forbids both. */
#ifndef ESCAPE_H
#define ESCAPE_H
static inline void escape(void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }
#endif
