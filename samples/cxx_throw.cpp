// cxx_throw: catcher() calls middle(), which calls thrower(), which throws;
// the exception is caught in catcher(), two frames up, which then calls
// on_caught(). main does this 3 times, then calls after_all() once.
// So: 3 calls each of catcher (returns), middle and thrower (both left by
// the exception: unwound), on_caught (returns; child of catcher) and 1 call
// of after_all (child of main). Exit status 0 if 3 exceptions were caught.
// Mangled names (Itanium ABI): _Z7catcheri _Z6middlei _Z7throweri
// _Z9on_caughti _Z9after_allv.

static volatile int sink;

__attribute__((noinline)) void thrower(int i)
{
	throw i;
}

__attribute__((noinline)) void middle(int i)
{
	thrower(i);
	sink = 1; // never reached
}

__attribute__((noinline)) void on_caught(int e)
{
	sink = e;
}

__attribute__((noinline)) int catcher(int i)
{
	try {
		middle(i);
	} catch (int e) {
		on_caught(e);
		return 1;
	}
	return 0;
}

__attribute__((noinline)) void after_all()
{
	sink = 0;
}

int main()
{
	int caught = 0;
	for (int i = 0; i < 3; i++)
		caught += catcher(i);
	after_all();
	return caught == 3 ? 0 : 1;
}
