/* passthru: shows what a traced program gets from its caller. Prints, one
 * per line: "args:" and its arguments separated by spaces, "env:" and the
 * value of NOSCO_SAMPLE_VAR (or "(unset)"), "cwd:" and its working
 * directory, "stdin:" and the first line of stdin (or "(eof)"). Writes
 * "to stderr" on stderr. Exits with status 3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[4096];
	printf("args:");
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	const char *v = getenv("NOSCO_SAMPLE_VAR");
	printf("env: %s\n", v ? v : "(unset)");
	printf("cwd: %s\n", getcwd(buf, sizeof(buf)) ? buf : "(error)");
	if (fgets(buf, sizeof(buf), stdin)) {
		buf[strcspn(buf, "\n")] = 0;
		printf("stdin: %s\n", buf);
	} else {
		printf("stdin: (eof)\n");
	}
	fprintf(stderr, "to stderr\n");
	return 3;
}
