#!/usr/bin/env perl
# Checks that every ```cpp and ```cmake block of the README appears
# verbatim in a file under examples/, which the downstream test compiles.
#   perl readme_snippets.pl README.md examples
use strict;
use warnings;
use File::Find;

my ($readme, $examples) = @ARGV;
my @files;
find(sub { push @files, $File::Find::name
             if -f $_ && /(\.cc|\.h|CMakeLists\.txt)$/ }, $examples);
my @contents = map { local $/; open my $in, '<', $_ or die "$_: $!"; <$in> } @files;

open my $in, '<', $readme or die "$readme: $!";
my ($block, $n, @failed);
while (my $line = <$in>)
{
  if (!defined $block && $line =~ /^```(cpp|cmake)\s*$/) { $block = ''; next; }
  if (defined $block && $line =~ /^```\s*$/)
  {
    ++$n;
    push @failed, "--- block $n:\n$block"
      unless grep { index($_, $block) >= 0 } @contents;
    undef $block;
    next;
  }
  $block .= $line if defined $block;
}
print "README: ", ($n // 0), " C++/CMake blocks checked against ", scalar(@files),
  " files under examples/\n";
die "no ```cpp or ```cmake block in $readme\n" unless $n;
die "README blocks that are not verbatim in a file under examples/:\n", @failed
  if @failed;
