@{
    Synopsis    = 'Takes a consistent backup of a running provisioning server while stations keep working, encrypted under a passphrase.'
    Description = @'
Asks the server for a backup (POST /api/v1/server/backup, admin; over HTTPS or from the server's own machine, since the passphrase travels with the request) and saves what it streams. The server reads every table in one database snapshot (SQLite: one read transaction in WAL mode; MySQL/MariaDB: REPEATABLE READ WITH CONSISTENT SNAPSHOT), so stations keep provisioning while it runs and the backup holds exactly the records committed at that instant. With it come the repository files the snapshot's packages use (content-addressed and never changed once written) and the data folder's secret files: the master key, the admin token, and the server's CA certificate with its sealed key.

The backup holds packages with their history, aliases, device records with their history, export receipts, tokens (by hash), station certificates, accounts (password hashes), the audit log and the master key. Everything after a short clear header is encrypted with AES-256-GCM under a key derived from the passphrase with PBKDF2-SHA256 (600,000 iterations), in 64 KiB chunks, each authenticated, and the file ends with an HMAC-SHA256 of the whole; docs/backup.md describes the format. The format does not depend on the database engine: Restore-ProvServer restores it into SQLite or MySQL/MariaDB.

The file is written to <Path>.partial, then read back whole with the passphrase, and only then moved to -Path: a file at -Path is always a complete backup this passphrase opens. An existing file is refused unless -Force is given. Keep the passphrase apart from the backup: without it the backup cannot be restored, and with it anyone holding the file holds the server's keys.
'@
    Parameters  = @{
        Path       = 'The backup file to write, e.g. ./provisioning.provbak.'
        Passphrase = 'The passphrase that encrypts the backup. Restore-ProvServer needs the same one.'
        Force      = 'Replaces an existing file (only once the new backup is complete and checked).'
        Server     = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer, or an address. Default: the current server.'
    }
    Outputs     = @{ 'Provisioning.PowerShell.ProvBackup' = 'Path, Size, Created (the snapshot time), ServerVersion, Engine, SchemaVersion, Packages, Devices, DeviceRecords, Files, Rows (per table).' }
    Examples    = @(
        @{
            Code    = "`$pass = Read-Host -AsSecureString 'Backup passphrase'`nBackup-ProvServer -Path ./provisioning.provbak -Passphrase `$pass"
            Remarks = 'Backs up the current server while its stations go on working, and shows what the backup holds.'
        }
        @{
            Code    = "`$pass = Read-Host -AsSecureString 'Backup passphrase'`nBackup-ProvServer -Path ./nightly.provbak -Passphrase `$pass -Force -WhatIf"
            Remarks = 'Shows which server would be backed up into which file, without backing up.'
        }
    )
    Links       = @('Restore-ProvServer', 'Start-ProvServer', 'about_Provisioning')
}
