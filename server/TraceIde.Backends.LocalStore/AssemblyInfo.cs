using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("TraceIde.LocalStore.Tests")]
[assembly: InternalsVisibleTo("TraceIde.Overview.Tests")]
