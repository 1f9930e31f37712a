@{
    Synopsis    = 'Restores a backup made by Backup-ProvServer into an empty server, on SQLite or MySQL/MariaDB.'
    Description = @'
Restores a backup into the data folder and database of a server that is not running, then Start-ProvServer starts it with the same -DataPath and -Database. The backup does not depend on the engine it was taken from, so this is also how a factory moves from SQLite to MySQL/MariaDB: back up, restore into the new database, start the server there.

Nothing is written before the whole backup has been read and checked with the passphrase: every chunk's authentication tag, every section's count and digest, every file's SHA-256 and the whole-file HMAC. A wrong passphrase, or a damaged or truncated file, restores nothing. The rows then go into the database in one transaction; the repository and secret files are staged and moved into place just before it commits, and removed again if it does not.

The target must be empty: no rows in any table and no master key, admin token, CA or repository file in the data folder. A target that is not empty is refused, naming what it holds, unless -Force is given: then its tables are dropped and created anew and its repository and secret files removed before the restore, so the two data sets never mix. The backup is checked before anything is removed; if the restore still fails after that (disk, database), the target is left empty and the same command can be run again.

The restore runs as a command of the server (Provisioning.Server.dll restore) with the database settings a start would use; the passphrase reaches it on its standard input, never its command line. The schema version of the backup must be the one this server uses: restore with the server version that made the backup, then upgrade.
'@
    Parameters  = @{
        Path               = 'The backup file.'
        DataPath           = 'The data folder of the server to restore into (created when missing).'
        Database           = 'The database to restore into: sqlite (the default, provisioning.db in -DataPath), sqlite:<file>, or mysql:Server=<host>;Database=<name>;User ID=<user>.'
        DatabaseCredential = 'The MySQL/MariaDB user and password (kept out of the command line).'
        Passphrase         = 'The passphrase the backup was made with.'
        Force              = 'Replaces everything in a target that is not empty with the backup.'
    }
    Outputs     = @{ 'Provisioning.PowerShell.ProvRestore' = 'DataPath, Database, SourceEngine, TargetEngine, BackupCreated, SchemaVersion, Packages, Devices, DeviceRecords, Files, Rows (per table).' }
    Examples    = @(
        @{
            Code    = "`$pass = Read-Host -AsSecureString 'Backup passphrase'`nBackup-ProvServer -Path ./prov.provbak -Passphrase `$pass`nRestore-ProvServer -Path ./prov.provbak -DataPath ./restored -Passphrase `$pass"
            Remarks = 'Backs up the current server and restores the backup into a new data folder (SQLite); Start-ProvServer -DataPath ./restored then starts a server with the same packages, devices, tokens and keys.'
        }
        @{
            Code    = "`$pass = Read-Host -AsSecureString 'Backup passphrase'`nRestore-ProvServer -Path ./prov.provbak -DataPath ./mariadb-server -Database 'mysql:Server=db1;Database=orw_prov;User ID=prov' -Passphrase `$pass -WhatIf"
            Remarks = 'Shows the move of a SQLite server to MariaDB: the backup restored into an empty MariaDB database (add -DatabaseCredential (Get-Credential prov) and drop -WhatIf to run it).'
        }
    )
    Links       = @('Backup-ProvServer', 'Start-ProvServer', 'about_Provisioning')
}
