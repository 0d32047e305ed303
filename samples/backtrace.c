/* backtrace: main -> outer -> middle -> inner -> leaf, each a real call
 * (noinline). Traced with --trace leaf, the backtrace at leaf's entry is
 * leaf, inner, middle, outer, main. Exit status 0 if leaf returned 42. */
#define NOINLINE __attribute__((noinline, noipa))

NOINLINE static int leaf(int x)
{
	return x + 1;
}

NOINLINE static int inner(int x)
{
	return leaf(x) + 1;
}

NOINLINE static int middle(int x)
{
	return inner(x) + 1;
}

NOINLINE static int outer(int x)
{
	return middle(x) + 1;
}

int main(void)
{
	return outer(38) == 42 ? 0 : 1;
}
