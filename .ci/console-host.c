/* TEST ONLY (.ci/windows-smoke.sh): a stand-in for cmd.exe under wine. Never shipped.
 *
 *   console-host.exe OUTFILE COMMAND-LINE
 *
 * Makes a console of its own, starts COMMAND-LINE from it the way cmd starts a GUI program
 * (no handles inherited, none redirected, no console given), waits up to 60 s, and writes what the console's
 * screen then shows to OUTFILE (UTF-8), followed by "exit=N". A GUI-subsystem .exe's output
 * appears there only if the .exe attached to its parent's console. */
#include <windows.h>
#include <stdio.h>

int wmain(int argc, wchar_t **argv) {
  if (argc < 3) return 90;
  FILE *f = _wfopen(argv[1], L"wb");
  if (!f) return 91;
  FreeConsole();
  if (!AllocConsole()) { fputs("AllocConsole failed\n", f); fclose(f); return 92; }
  HANDLE con = CreateFileW(L"CONOUT$", GENERIC_READ | GENERIC_WRITE,
                           FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
  STARTUPINFOW si = { sizeof si };
  PROCESS_INFORMATION pi;
  /* DETACHED_PROCESS: the child gets no console of its own and none of ours, as a GUI
   * program started from cmd on Windows. Without it wine hands even a GUI child this
   * console, which Windows does not, and a program that never attaches would pass. */
  if (!CreateProcessW(NULL, argv[2], NULL, NULL, FALSE, DETACHED_PROCESS, NULL, NULL, &si, &pi)) {
    fprintf(f, "CreateProcess failed: %lu\n", GetLastError());
    fclose(f);
    return 93;
  }
  if (WaitForSingleObject(pi.hProcess, 60000) != WAIT_OBJECT_0) {
    fputs("timeout\n", f);
    fclose(f);
    TerminateProcess(pi.hProcess, 1);
    return 94;
  }
  DWORD code = 0;
  GetExitCodeProcess(pi.hProcess, &code);
  CONSOLE_SCREEN_BUFFER_INFO info;
  if (!GetConsoleScreenBufferInfo(con, &info)) {
    fprintf(f, "no screen buffer: handle %p, error %lu\n", con, GetLastError());
    fclose(f);
    return 95;
  }
  SHORT width = info.dwSize.X > 1024 ? 1024 : info.dwSize.X;
  for (SHORT y = 0; y <= info.dwCursorPosition.Y; y++) {
    WCHAR line[1024];
    DWORD n = 0;
    COORD at = { 0, y };
    ReadConsoleOutputCharacterW(con, line, width, at, &n);
    while (n > 0 && line[n - 1] == L' ') n--;
    char utf8[4096];
    int len = WideCharToMultiByte(CP_UTF8, 0, line, (int)n, utf8, sizeof utf8, NULL, NULL);
    fwrite(utf8, 1, len, f);
    fputc('\n', f);
  }
  fprintf(f, "exit=%lu\n", code);
  fclose(f);
  return 0;
}
