// A request handler that takes a fresh 8 MiB direct ByteBuffer per request,
// fills it and drops it, against one that keeps a single direct buffer.
//
// allocateDirect calls Unsafe.allocateMemory, that is malloc(8 MiB): above
// glibc's mmap threshold, so every buffer is a new 8 MiB + 4 KiB mapping, and
// the JDK then zeroes it (Unsafe.setMemory), faulting every page. The memory
// is freed only when a GC finds the small heap wrapper dead and its Cleaner
// runs; the loop makes almost no heap garbage, so no GC runs and nothing is
// freed (or unmapped) before the next allocation: each buffer is fresh memory.
//
//   java Direct N          a new direct buffer per request
//   java Direct N reuse    one direct buffer, allocated once
import java.nio.ByteBuffer;

public class Direct {
	public static void main(String[] args) {
		int n = args.length > 0 ? Integer.parseInt(args[0]) : 100;
		boolean reuse = args.length > 1 && args[1].equals("reuse");
		final int size = 8 << 20;
		ByteBuffer kept = reuse ? ByteBuffer.allocateDirect(size) : null;
		long sum = 0;
		for (int it = 0; it < n; it++) {
			ByteBuffer b = reuse ? kept : ByteBuffer.allocateDirect(size);
			for (int i = 0; i < size; i += 8)
				b.putLong(i, it + i);
			sum += b.getLong((it * 4096) % size);
		}
		System.out.println(sum);
	}
}
