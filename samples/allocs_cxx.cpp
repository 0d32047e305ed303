// allocs_cxx: C++ operators new and delete, for --trace-alloc.
//
// main() makes a Node with new (32 bytes) and deletes it, 3 Nodes with
// new[] (96 bytes) and deletes them with delete[], and 10 ints with new[]
// (40 bytes) that it never deletes. So from main: 1 new, 2 new[], 1 delete,
// 1 delete[], and exactly one block never freed: 40 bytes from new[].
// The malloc and free that the operators call inside are part of them.
#include <unistd.h>

struct Node {
	long v[4];
};

int main()
{
	Node *one = new Node();
	int *kept = new int[10]();
	Node *three = new Node[3]();
	one->v[0] = 1;
	kept[0] = 2;
	three[2].v[3] = 3;
	delete one;
	delete[] three;
	bool ok = kept[0] == 2;
	if (write(1, ok ? "allocs_cxx ok\n" : "allocs_cxx FAILED\n", ok ? 14 : 18) < 0)
		return 2;
	return ok ? 0 : 1;
}
