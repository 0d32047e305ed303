/* dlreload: loads libplugin.so (next to this executable), calls
 * plugin_add(2, 3) once, unloads it, and does it all again: ROUNDS loads,
 * ROUNDS unloads, ROUNDS calls. Exit status 0 if all went right.
 * With --trace plugin_add@libplugin.so, each load arms the scope anew. */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#define ROUNDS 2

int main(void)
{
	char exe[PATH_MAX], lib[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return 2;
	exe[n] = 0;
	snprintf(lib, sizeof(lib), "%s/libplugin.so", dirname(exe));
	for (int i = 0; i < ROUNDS; i++) {
		void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
		if (!h)
			return 3;
		int (*add)(int, int) = (int (*)(int, int))dlsym(h, "plugin_add");
		if (!add || add(2, 3) != 5)
			return 4;
		if (dlclose(h))
			return 5;
	}
	return 0;
}
