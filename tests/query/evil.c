/* A shared object that hostile trace files try to load: loading it at all
 * (its constructor runs) writes the file named by NOSCO_EVIL_MARKER, which
 * the hostile tests check never appears. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((constructor)) static void evil_loaded(void)
{
	const char *path = getenv("NOSCO_EVIL_MARKER");
	FILE *f = path ? fopen(path, "w") : NULL;
	if (f) {
		fputs("loaded\n", f);
		fclose(f);
	}
}

int sqlite3_extension_init(void *db, char **err, const void *api);

int sqlite3_extension_init(void *db, char **err, const void *api)
{
	(void)db, (void)err, (void)api;
	evil_loaded();
	return 0;
}
