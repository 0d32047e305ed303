#ifndef SAMPLE_FIB_H
#define SAMPLE_FIB_H
int fib(int n);
#endif
