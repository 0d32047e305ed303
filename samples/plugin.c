/* plugin: loaded by dlmain with dlopen; plugin_add is called through dlsym. */
int plugin_add(int a, int b);

int plugin_add(int a, int b)
{
	return a + b;
}
