/* closeout: closes its own stdout, then writes to it. Facts: close(1)
 * returns 0; the write(1, "lost\n", 5) that follows fails with EBADF (9);
 * "stderr still works" reaches stderr; exit status 0 if the write failed
 * as it must. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	if (close(1) != 0)
		return 2;
	ssize_t n = write(1, "lost\n", 5);
	int e = errno;
	static const char msg[] = "stderr still works\n";
	if (write(2, msg, strlen(msg)) != (ssize_t)strlen(msg))
		return 3;
	return n == -1 && e == EBADF ? 0 : 1;
}
