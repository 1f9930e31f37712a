@echo off
rem A factory line's batch file for Windows: provisions the device on each COM port given, one after another, by
rem calling provisioning_client.exe once per device and reading its exit code (the guide's Table 4 code). Each device
rem gets its own log file; every outcome is appended to results.csv; a device whose transfer broke off (36) is tried
rem once more, and its firmware resumes where it stopped.
rem
rem   set PROV_STATION_TOKEN=...
rem   factory-line.cmd "-s 192.168.0.10 -B 1000 --config-alias=kite_170 --ca-certificate=ca.crt" COM3 COM4 COM5
rem
rem The first argument, quoted, holds the options for every call; the ports follow. PROVISIONING_CLIENT names the
rem client (default provisioning_client.exe on the PATH). Exit code: 0 when every device passed, 1 otherwise.
setlocal enabledelayedexpansion
set "CLIENT=provisioning_client.exe"
if not "%PROVISIONING_CLIENT%"=="" set "CLIENT=%PROVISIONING_CLIENT%"
set "OPTIONS=%~1"
if "%~2"=="" (
    echo usage: %~nx0 "provisioning_client options" PORT [PORT ...] 1>&2
    exit /b 3
)
if not exist logs mkdir logs
if not exist results.csv echo time,port,exit_code> results.csv
set /a PASSED=0
set /a FAILED=0
:next
shift
if "%~1"=="" goto done
set "PORT=%~1"
set /a ATTEMPT=0
:again
"%CLIENT%" -d %PORT% %OPTIONS% --logfile=logs\%PORT%.log
set CODE=!ERRORLEVEL!
if !CODE!==36 if !ATTEMPT! lss 1 (
    set /a ATTEMPT+=1
    echo %PORT%: the transfer broke off ^(36^); trying again
    goto again
)
echo %DATE% %TIME%,%PORT%,!CODE!>> results.csv
if !CODE!==0 (
    set /a PASSED+=1
    echo %PORT%: passed
) else (
    set /a FAILED+=1
    echo %PORT%: FAILED with !CODE!; log: logs\%PORT%.log
)
goto next
:done
echo %PASSED% passed, %FAILED% failed
if %FAILED% gtr 0 exit /b 1
exit /b 0
