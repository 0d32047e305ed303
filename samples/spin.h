#ifndef SAMPLE_SPIN_H
#define SAMPLE_SPIN_H
void spin(void);
#endif
