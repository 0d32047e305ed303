#ifndef SAMPLE_WORK_H
#define SAMPLE_WORK_H
int work_item(int x);
#endif
