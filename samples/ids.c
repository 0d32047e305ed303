/* ids: prints its real and effective user ids ("uid=R euid=E") and exits
 * 0. The setuid test runs a copy of it with the set-user-ID bit. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	printf("uid=%d euid=%d\n", (int)getuid(), (int)geteuid());
	return 0;
}
