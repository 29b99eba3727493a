using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("TraceIde.LocalStore.Tests")]
