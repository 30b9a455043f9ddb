/* TEST ONLY (.ci/windows-smoke.sh): the control for console-host.exe. A GUI-subsystem
 * program that writes to its standard output without attaching to any console: its line
 * must NOT appear in console-host's console, or that check could not tell an .exe that
 * attaches from one that does not. Never shipped. */
#include <windows.h>

int WINAPI WinMain(HINSTANCE instance, HINSTANCE previous, LPSTR command_line, int show) {
  (void)instance; (void)previous; (void)command_line; (void)show;
  DWORD written = 0;
  WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), "silent-gui wrote this\r\n", 23, &written, NULL);
  return 0;
}
