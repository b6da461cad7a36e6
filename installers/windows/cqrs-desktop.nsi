; CQRS Desktop for Windows: installs the PyInstaller folder (dist\cqrs-desktop) and writes the practice's
; site configuration (site.toml) from the installer's options.
;
; Build (Windows or Linux, NSIS 3):
;   makensis -DPAYLOAD=dist\cqrs-desktop -DVERSION=0.1.0 -DOUTFILE=dist\cqrs-desktop-0.1.0-windows.exe
;            installers\windows\cqrs-desktop.nsi
;   (-DFAST stores the files uncompressed: CI only checks that the script compiles.)
;
; Silent install (run as administrator for every user of the PC):
;   cqrs-desktop-0.1.0-windows.exe /S /AllUsers /SERVER=https://cqrs.example.nhs.uk /CAFILE=C:\certs\practice-ca.pem
;                          /SYNCINTERVAL=30 /HELPDESKPHONE="01632 960000" /HELPDESKEMAIL=it@practice.nhs.uk
;                          /HELPDESKHOURS="Monday to Friday, 8am to 6pm"
;   /CurrentUser installs for the signed-in person only (no administrator rights, no site configuration).
;   /D=C:\Path must come last, unquoted, to choose the folder.
; Silent uninstall: "%ProgramFiles%\CQRS Desktop\uninstall.exe" /S /AllUsers  (add /PURGE to also remove
;   the site configuration and the data of the person running it; without it, both are kept).

Unicode true
!ifndef PAYLOAD
  !define PAYLOAD "..\..\dist\cqrs-desktop"
!endif
!ifndef VERSION
  !define VERSION "0.0.0"
!endif
!ifndef OUTFILE
  !define OUTFILE "cqrs-desktop-${VERSION}-windows.exe"
!endif
!ifdef FAST
  SetCompress off
!else
  SetCompressor /SOLID lzma
!endif

!define APP_NAME "CQRS Desktop"
!define APP_EXE "cqrs-desktop.exe"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\CQRS Desktop"
!define SITE_FOLDER "CQRS Desktop"  ; %PROGRAMDATA%\CQRS Desktop\site.toml (app.services.site_config)
; Where the app keeps each person's cache, settings and logs (Qt's AppDataLocation, app/paths.py).
!define USER_DATA "$APPDATA\CQRS\CQRS Desktop"
; Well-known SIDs, so the permissions work on a Windows in any language.
!define SID_ADMINS "*S-1-5-32-544"
!define SID_SYSTEM "*S-1-5-18"
!define SID_USERS "*S-1-5-32-545"

Name "${APP_NAME}"
OutFile "${OUTFILE}"
BrandingText "${APP_NAME} ${VERSION}"
RequestExecutionLevel user  ; MultiUser raises it to administrator for an all-users install

; Per-machine (Program Files, every user) by default; per-user (the person's own AppData) as an option.
!define MULTIUSER_EXECUTIONLEVEL Highest
!define MULTIUSER_MUI
!define MULTIUSER_INSTALLMODE_COMMANDLINE
!define MULTIUSER_USE_PROGRAMFILES64
!define MULTIUSER_INSTALLMODE_INSTDIR "${APP_NAME}"
!define MULTIUSER_INSTALLMODE_DEFAULT_REGISTRY_KEY "${UNINSTALL_KEY}"
!define MULTIUSER_INSTALLMODE_DEFAULT_REGISTRY_VALUENAME "InstallMode"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_KEY "${UNINSTALL_KEY}"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_VALUENAME "InstallLocation"
!include MultiUser.nsh
!include MUI2.nsh
!include FileFunc.nsh
!include LogicLib.nsh
!include Sections.nsh

!define MUI_ICON "..\..\resources\icons\cqrs-desktop.ico"
!define MUI_UNICON "..\..\resources\icons\cqrs-desktop.ico"
!define MUI_ABORTWARNING

!insertmacro MUI_PAGE_WELCOME
!insertmacro MULTIUSER_PAGE_INSTALLMODE
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!define MUI_FINISHPAGE_RUN "$INSTDIR\${APP_EXE}"
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

VIProductVersion "0.0.0.0"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductName" "${APP_NAME}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileDescription" "${APP_NAME} installer"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "LegalCopyright" "MIT licence"

Var Server
Var CaFile
Var SyncInterval
Var DeskPhone
Var DeskEmail
Var DeskHours
Var SiteDir

Function .onInit
  !insertmacro MULTIUSER_INIT
  ${GetParameters} $R0
  ${GetOptions} $R0 "/SERVER=" $Server
  ${GetOptions} $R0 "/CAFILE=" $CaFile
  ${GetOptions} $R0 "/SYNCINTERVAL=" $SyncInterval
  ${GetOptions} $R0 "/HELPDESKPHONE=" $DeskPhone
  ${GetOptions} $R0 "/HELPDESKEMAIL=" $DeskEmail
  ${GetOptions} $R0 "/HELPDESKHOURS=" $DeskHours
  ${If} $SyncInterval != ""
    IntOp $R1 $SyncInterval + 0
    ${If} "$R1" != "$SyncInterval"
      MessageBox MB_ICONSTOP "/SYNCINTERVAL= must be a whole number of minutes, for example /SYNCINTERVAL=30." /SD IDOK
      SetErrorLevel 2
      Quit
    ${EndIf}
  ${EndIf}
  ${If} $CaFile != ""
  ${AndIfNot} ${FileExists} "$CaFile"
    MessageBox MB_ICONSTOP "The certificate file $CaFile given with /CAFILE= was not found. Check the path and run the installer again." /SD IDOK
    SetErrorLevel 2
    Quit
  ${EndIf}
FunctionEnd

; Any site option given: write %PROGRAMDATA%\CQRS Desktop\site.toml, readable by everyone and writable only
; by administrators and SYSTEM. TOML literal strings ('...') keep Windows paths' backslashes as they are.
Function WriteSiteConfig
  ${If} "$Server$CaFile$SyncInterval$DeskPhone$DeskEmail$DeskHours" == ""
    Return
  ${EndIf}
  ${If} $MultiUser.InstallMode != "AllUsers"
    MessageBox MB_ICONEXCLAMATION "The practice settings (/SERVER=, /CAFILE=, /SYNCINTERVAL=, /HELPDESK...=) apply to every user of this PC, so they are written only by an all-users install. Run the installer as an administrator with /AllUsers." /SD IDOK
    SetErrorLevel 3
    Return
  ${EndIf}
  SetShellVarContext all
  StrCpy $SiteDir "$APPDATA\${SITE_FOLDER}"  ; $APPDATA is %PROGRAMDATA% in the all-users context
  CreateDirectory "$SiteDir"
  ${If} $CaFile != ""
    CopyFiles /SILENT "$CaFile" "$SiteDir\practice-ca.pem"
    StrCpy $CaFile "$SiteDir\practice-ca.pem"
  ${EndIf}
  FileOpen $0 "$SiteDir\site.toml" w
  FileWrite $0 "# Written by the CQRS Desktop installer. Only administrators can change this file.$\r$\n"
  ${If} $Server != ""
    FileWrite $0 "server_url = '$Server'$\r$\n"
  ${EndIf}
  ${If} $CaFile != ""
    FileWrite $0 "ca_file = '$CaFile'$\r$\n"
  ${EndIf}
  ${If} $SyncInterval != ""
    FileWrite $0 "sync_interval_minutes = $SyncInterval$\r$\n"
  ${EndIf}
  ${If} "$DeskPhone$DeskEmail$DeskHours" != ""
    FileWrite $0 "$\r$\n[help_desk]$\r$\n"
    ${If} $DeskPhone != ""
      FileWrite $0 "telephone = '$DeskPhone'$\r$\n"
    ${EndIf}
    ${If} $DeskEmail != ""
      FileWrite $0 "email = '$DeskEmail'$\r$\n"
    ${EndIf}
    ${If} $DeskHours != ""
      FileWrite $0 "hours = '$DeskHours'$\r$\n"
    ${EndIf}
  ${EndIf}
  FileClose $0
  ; Debian's NSIS has no AccessControl plugin, so Windows' own icacls sets the permissions.
  nsExec::ExecToLog 'icacls "$SiteDir" /inheritance:r /grant:r ${SID_ADMINS}:(OI)(CI)F ${SID_SYSTEM}:(OI)(CI)F ${SID_USERS}:(OI)(CI)RX /T /C /Q'
  Pop $R0
  ${If} $R0 != 0
    DetailPrint "Could not restrict the permissions of $SiteDir (icacls returned $R0)."
    SetErrorLevel 4
  ${EndIf}
FunctionEnd

Section "CQRS Desktop" SecApp
  SectionIn RO
  SetOutPath "$INSTDIR"
  File /r "${PAYLOAD}\*.*"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateShortcut "$SMPROGRAMS\${APP_NAME}.lnk" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\${APP_EXE}" 0 \
    SW_SHOWNORMAL "" "GP practice QOF, enhanced-service and vaccination achievement and payment"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "Publisher" "CQRS Desktop"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${APP_EXE}"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "InstallMode" "$MultiUser.InstallMode"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe" /$MultiUser.InstallMode'
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S /$MultiUser.InstallMode'
  WriteRegDWORD SHCTX "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD SHCTX "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD SHCTX "${UNINSTALL_KEY}" "EstimatedSize" $0
  Call WriteSiteConfig
SectionEnd

Section "un.CQRS Desktop" SecUnApp
  SectionIn RO
  Delete "$SMPROGRAMS\${APP_NAME}.lnk"
  RMDir /r "$INSTDIR"
  DeleteRegKey SHCTX "${UNINSTALL_KEY}"
SectionEnd

; Off unless ticked or /PURGE: the cache, settings and logs of the person uninstalling, and (all-users
; uninstall) the practice's site configuration. Other people's data on the PC is never touched.
Section /o "un.Also remove my CQRS data and the practice settings" SecRemoveData
  SetShellVarContext current
  RMDir /r "${USER_DATA}"
  ${If} $MultiUser.InstallMode == "AllUsers"
    SetShellVarContext all
    RMDir /r "$APPDATA\${SITE_FOLDER}"
  ${EndIf}
SectionEnd

; After the sections: it selects one by its index.
Function un.onInit
  !insertmacro MULTIUSER_UNINIT
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/PURGE" $R1
  ${IfNot} ${Errors}
    !insertmacro SelectSection ${SecRemoveData}
  ${EndIf}
FunctionEnd
