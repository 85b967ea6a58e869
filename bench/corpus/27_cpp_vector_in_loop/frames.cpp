// A video/image pipeline that decodes each frame into a 40 MiB
// std::vector<char> declared inside the loop: constructed (zero-filled) and
// destroyed every frame. 40 MiB is above the 32 MiB ceiling of glibc's
// dynamic mmap threshold, so operator new maps it fresh every frame and
// operator delete unmaps it: every page faults in again, every frame.
//
//   frames N           the vector is constructed and destroyed per frame
//   frames N hoist     one vector declared before the loop, cleared per frame
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

static const size_t FRAME = 40u << 20;

// "decode": write every 64th byte of the frame, then read a checksum
static unsigned long decode(std::vector<char> &buf, int frame) {
	for (size_t i = 0; i < buf.size(); i += 64) buf[i] = char(i >> 12 ^ frame);
	unsigned long sum = 0;
	for (size_t i = 0; i < buf.size(); i += 4096) sum += (unsigned char)buf[i];
	return sum;
}

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 30;
	bool hoist = argc > 2 && strcmp(argv[2], "hoist") == 0;
	unsigned long sum = 0;
	if (hoist) {
		std::vector<char> buf(FRAME);
		for (int f = 0; f < n; f++) {
			std::fill(buf.begin(), buf.end(), 0); // the same zero-fill as a fresh vector
			sum += decode(buf, f);
		}
	} else {
		for (int f = 0; f < n; f++) {
			std::vector<char> buf(FRAME);
			sum += decode(buf, f);
		}
	}
	printf("%lu\n", sum);
	return 0;
}
