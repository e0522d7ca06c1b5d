#!/usr/bin/env perl
# Checks that every ```cpp and ```cmake block of README.md and of the pages
# doc/*.md appears verbatim in a file under examples/, which the downstream
# test compiles.
#   perl readme_snippets.pl SOURCE_DIR [FILE.md ...]
# SOURCE_DIR is the repository's root. Without FILE.md arguments it checks
# SOURCE_DIR/README.md and every SOURCE_DIR/doc/*.md, globbed when it runs,
# so that a new page is checked without reconfiguring; with them, those
# files. README.md must have at least one block; a page may have none.
# A block indented inside a list item is compared without its indentation.
use strict;
use warnings;
use File::Find;
use File::Basename qw(basename);
use File::Spec;

my ($root, @pages) = @ARGV;
die "usage: perl readme_snippets.pl SOURCE_DIR [FILE.md ...]\n"
  unless defined $root && -d $root;
my $examples = File::Spec->catdir($root, 'examples');
die "$examples: not a directory\n" unless -d $examples;
@pages = (File::Spec->catfile($root, 'README.md'),
          sort glob(File::Spec->catfile($root, 'doc', '*.md')))
  unless @pages;

my @files;
find(sub { push @files, $File::Find::name
             if -f $_ && /(\.cc|\.h|CMakeLists\.txt)$/ }, $examples);
my @contents = map { local $/; open my $in, '<', $_ or die "$_: $!"; <$in> } @files;

my (@failed, @empty, $total);
for my $page (@pages)
{
  my $name = File::Spec->abs2rel($page, $root);
  $name = $page if $name =~ /^\.\./;
  open my $in, '<', $page or die "$page: $!";
  # $fence: inside a fenced block of any language; $block: its text, when
  # the language is cpp or cmake.
  my ($fence, $indent, $block, $start, $n) = (0, '', undef, 0, 0);
  while (my $line = <$in>)
  {
    if (!$fence && $line =~ /^(\s*)```\s*(\S*)\s*$/)
    {
      ($fence, $indent, $start) = (1, $1, $.);
      $block = '' if $2 eq 'cpp' || $2 eq 'cmake';
      next;
    }
    if ($fence && $line =~ /^\s*```\s*$/)
    {
      if (defined $block)
      {
        ++$n;
        push @failed, "--- $name, block $n (line $start):\n$block"
          unless grep { index($_, $block) >= 0 } @contents;
      }
      ($fence, $block) = (0, undef);
      next;
    }
    if (defined $block)
    {
      $line =~ s/^\Q$indent\E//;
      $block .= $line;
    }
  }
  die "$name: a ``` block that is not closed (line $start)\n" if $fence;
  print "$name: $n C++/CMake blocks\n";
  $total += $n;
  push @empty, $name if $n == 0 && basename($page) eq 'README.md';
}
print "$total blocks of ", scalar(@pages), " files checked against ",
  scalar(@files), " files under examples/\n";
die "no ```cpp or ```cmake block in $_\n" for @empty;
die "blocks that are not verbatim in a file under examples/:\n", @failed
  if @failed;
