#ifndef SAMPLE_TICK_H
#define SAMPLE_TICK_H
void on_tick(void);
int ticks(void);
void after_signals(void);
#endif
