/* sais_malloc — how the sais binary's allocator (jemalloc, see CMakeLists.txt) is tuned.
 *
 * jemalloc 5.3 serves requests of 8 MiB and more ("oversize") from an arena that gives pages
 * back to the kernel at once. A producer's answer to a consumer's fetch is up to about 8 MiB
 * (bus.fetch_bytes), built and dropped many times a second while a city loads, so each one
 * came back as fresh zeroed pages: 850k page faults in a 100k-person load, 330k without the
 * oversize arena. Those requests now stay in the ordinary arenas and are reused. jemalloc reads
 * this variable at start-up; the environment's MALLOC_CONF is applied after it. Under the
 * sanitizers (no jemalloc) nothing reads it. */
const char *malloc_conf = "oversize_threshold:0";
