// A batch job that collects 8 Mi samples (8 bytes each, 64 MiB) per batch into
// a std::vector by push_back.
//
//   collect N           no reserve: the vector doubles its capacity, and every
//                       step is operator new(new) + copy + operator delete(old).
//                       operator new/delete never realloc, so glibc cannot
//                       move the block with mremap: the 32 MiB and 64 MiB steps
//                       (above the 32 MiB ceiling of glibc's dynamic mmap
//                       threshold) are fresh mappings every batch, faulted in
//                       by the copy and the appends
//   collect N reserve   reserve(8 Mi) first: one 64 MiB block, no copies
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

struct Sample {
	uint32_t id;
	float value;
};

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 10;
	bool reserve = argc > 2 && strcmp(argv[2], "reserve") == 0;
	const size_t count = 8u << 20;
	double sum = 0;
	for (int it = 0; it < n; it++) {
		std::vector<Sample> v;
		if (reserve) v.reserve(count);
		for (size_t i = 0; i < count; i++)
			v.push_back(Sample{uint32_t(i), float((i ^ it) & 1023)});
		sum += v[count / 3].value + v.size();
	}
	printf("%g\n", sum);
	return 0;
}
