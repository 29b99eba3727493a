using System;
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using TraceIde.VisualStudio.Core.Options;

namespace TraceIde.VisualStudio.Ui
{
    /// <summary>
    /// Credentials in the Windows Credential Manager (generic credentials, per-user, target `TraceIde:https://host:port`).
    /// The secret blob is a small JSON {username, password, token}; it is read only to build the host's environment.
    /// </summary>
    public sealed class WindowsCredentialStore : ICredentialStore
    {
        private const int CredTypeGeneric = 1;
        private const int CredPersistLocalMachine = 2;
        private const int ErrorNotFound = 1168;

        public TrackingCredential? Read(string target)
        {
            if (!CredRead(target, CredTypeGeneric, 0, out var handle))
            {
                var error = Marshal.GetLastWin32Error();
                if (error == ErrorNotFound) return null;
                throw new Win32Exception(error);
            }
            try
            {
                var credential = Marshal.PtrToStructure<NativeCredential>(handle);
                if (credential.CredentialBlobSize == 0 || credential.CredentialBlob == IntPtr.Zero) return null;
                var bytes = new byte[credential.CredentialBlobSize];
                Marshal.Copy(credential.CredentialBlob, bytes, 0, bytes.Length);
                var stored = JsonSerializer.Deserialize<Stored>(Encoding.UTF8.GetString(bytes));
                return stored == null ? null : new TrackingCredential { Username = stored.Username, Password = stored.Password, Token = stored.Token };
            }
            finally
            {
                CredFree(handle);
            }
        }

        public void Write(string target, TrackingCredential credential)
        {
            var blob = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new Stored
            {
                Username = credential.Username,
                Password = credential.Password,
                Token = credential.Token
            }));
            var buffer = Marshal.AllocHGlobal(blob.Length);
            try
            {
                Marshal.Copy(blob, 0, buffer, blob.Length);
                var native = new NativeCredential
                {
                    Type = CredTypeGeneric,
                    TargetName = target,
                    UserName = credential.Username ?? "",
                    CredentialBlob = buffer,
                    CredentialBlobSize = blob.Length,
                    Persist = CredPersistLocalMachine,
                };
                if (!CredWrite(ref native, 0)) throw new Win32Exception(Marshal.GetLastWin32Error());
            }
            finally
            {
                for (var i = 0; i < blob.Length; i++) Marshal.WriteByte(buffer, i, 0);
                Marshal.FreeHGlobal(buffer);
            }
        }

        public void Delete(string target)
        {
            if (!CredDelete(target, CredTypeGeneric, 0))
            {
                var error = Marshal.GetLastWin32Error();
                if (error != ErrorNotFound) throw new Win32Exception(error);
            }
        }

        private sealed class Stored
        {
            public string? Username { get; set; }
            public string? Password { get; set; }
            public string? Token { get; set; }
        }

        [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
        private struct NativeCredential
        {
            public int Flags;
            public int Type;
            public string TargetName;
            public string? Comment;
            public System.Runtime.InteropServices.ComTypes.FILETIME LastWritten;
            public int CredentialBlobSize;
            public IntPtr CredentialBlob;
            public int Persist;
            public int AttributeCount;
            public IntPtr Attributes;
            public string? TargetAlias;
            public string UserName;
        }

        [DllImport("advapi32.dll", EntryPoint = "CredReadW", CharSet = CharSet.Unicode, SetLastError = true)]
        private static extern bool CredRead(string target, int type, int flags, out IntPtr credential);

        [DllImport("advapi32.dll", EntryPoint = "CredWriteW", CharSet = CharSet.Unicode, SetLastError = true)]
        private static extern bool CredWrite(ref NativeCredential credential, int flags);

        [DllImport("advapi32.dll", EntryPoint = "CredDeleteW", CharSet = CharSet.Unicode, SetLastError = true)]
        private static extern bool CredDelete(string target, int type, int flags);

        [DllImport("advapi32.dll", SetLastError = true)]
        private static extern void CredFree(IntPtr buffer);
    }
}
