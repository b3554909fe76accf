using System.Reflection;

namespace Dataflow.Plan;

/// <summary>
/// Decides whether two key selectors are the same function, so that a data set partitioned on one is known to be
/// partitioned on the other: <c>r => r.Id</c> written in two places is two delegates (two compiler-generated methods),
/// and comparing delegates alone would place an exchange that moves no record anywhere.
/// </summary>
/// <remarks>
/// Only member-access chains are recognized (<c>x => x.A</c>, <c>x => x.A.B</c>, <c>p => p.Key</c> of a tuple, getters
/// included), read from the methods' IL and compared by the members they resolve to; the delegates' targets must hold no
/// state (a capturing closure could make equal IL compute different keys). Anything else is the same only when the
/// delegates are equal. A false "different" costs an exchange; a false "same" would be wrong, so the check is narrow.
/// </remarks>
internal static class KeySelectors
{
    /// <summary>True when <paramref name="a"/> and <paramref name="b"/> compute the same key from every record.</summary>
    public static bool Same(Delegate? a, Delegate? b)
    {
        if (a is null || b is null) return false;
        if (ReferenceEquals(a, b) || a.Equals(b)) return true;
        var ma = a.Method;
        var mb = b.Method;
        if (ma.ReturnType != mb.ReturnType) return false;
        var pa = ma.GetParameters();
        var pb = mb.GetParameters();
        if (pa.Length != 1 || pb.Length != 1 || pa[0].ParameterType != pb[0].ParameterType) return false;
        if (!Stateless(a.Target) || !Stateless(b.Target)) return false;
        var chainA = MemberChain(ma);
        var chainB = MemberChain(mb);
        return chainA is not null && chainB is not null && chainA.SequenceEqual(chainB);
    }

    /// <summary>A delegate target without instance fields (the compiler's cache of non-capturing lambdas), or none.</summary>
    private static bool Stateless(object? target) =>
        target is null || target.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).Length == 0;

    /// <summary>The members a selector reads from its argument, in order, when its IL is exactly "load the argument, read members, return"; else null.</summary>
    internal static List<MemberInfo>? MemberChain(MethodInfo method)
    {
        byte[]? il;
        try
        {
            il = method.GetMethodBody()?.GetILAsByteArray();
        }
        catch (InvalidOperationException)
        {
            return null; // a dynamic method has no body to read
        }
        if (il is null) return null;
        int arg = method.IsStatic ? 0 : 1;
        int i = 0;
        SkipNops(il, ref i);
        if (!LoadsArgument(il, ref i, arg)) return null;
        var chain = new List<MemberInfo>();
        var typeArgs = method.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        while (true)
        {
            SkipNops(il, ref i);
            if (i >= il.Length) return null;
            byte op = il[i];
            if (op == 0x2A) return i == il.Length - 1 && chain.Count > 0 ? chain : null; // ret, and nothing after it
            if (op is not (0x7B or 0x7C or 0x28 or 0x6F) || i + 5 > il.Length) return null; // ldfld, ldflda, call, callvirt
            int token = BitConverter.ToInt32(il, i + 1);
            i += 5;
            MemberInfo member;
            try
            {
                member = method.Module.ResolveMember(token, typeArgs, methodArgs)!;
            }
            catch (ArgumentException)
            {
                return null;
            }
            // A call must be a getter of the value read so far: nothing else comes into it.
            if (member is MethodInfo m && (m.IsStatic || m.GetParameters().Length != 0 || m.ReturnType == typeof(void))) return null;
            if (member is not (FieldInfo or MethodInfo)) return null;
            chain.Add(member);
        }
    }

    private static void SkipNops(byte[] il, ref int i)
    {
        while (i < il.Length && il[i] == 0x00) i++;
    }

    private static bool LoadsArgument(byte[] il, ref int i, int arg)
    {
        if (i >= il.Length) return false;
        byte op = il[i];
        // ldarg.0 .. ldarg.3 are 0x02 .. 0x05; ldarg.s and ldarga.s (0x0E, 0x0F) take a byte.
        if (op == 0x02 + arg)
        {
            i++;
            return true;
        }
        if ((op == 0x0E || op == 0x0F) && i + 1 < il.Length && il[i + 1] == arg)
        {
            i += 2;
            return true;
        }
        return false;
    }
}
