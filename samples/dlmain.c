/* dlmain: dlopens libplugin.so (next to this executable), calls
 * plugin_add(2, 3) exactly 5 times through dlsym's pointer, then dlcloses it
 * (which unloads it: nothing else holds it). Exit status 0 if all went right. */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CALLS 5

int main(void)
{
	char exe[PATH_MAX], lib[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return 2;
	exe[n] = 0;
	snprintf(lib, sizeof(lib), "%s/libplugin.so", dirname(exe));

	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "dlmain: %s\n", dlerror());
		return 3;
	}
	int (*add)(int, int) = (int (*)(int, int))dlsym(h, "plugin_add");
	if (!add)
		return 4;
	int ok = 1;
	for (int i = 0; i < CALLS; i++)
		ok &= add(2, 3) == 5;
	if (dlclose(h))
		return 5;
	return ok ? 0 : 1;
}
